/** action.yml imported as the action's contract (scripts/contract.mjs loads it at build and test time). */
declare module '*/action.yml' {
  const contract: import('./inputs').Contract;
  export default contract;
}
