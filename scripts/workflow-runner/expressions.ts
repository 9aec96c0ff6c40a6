/**
 * Expressions and contexts: @actions/expressions with the status functions the library leaves to
 * the runner (success(), failure(), always(), cancelled()), evaluated over the converted
 * template's tokens or over the `${{ }}` parts of a raw YAML string.
 */
import { registerHooks } from 'node:module';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import type { data as Data } from '@actions/expressions';
import { T, UnsupportedError, type Contexts, type Status, type Token } from './types.ts';

// @actions/workflow-parser imports its JSON schema without `with {type: 'json'}`, which Node refuses.
if (!process.env.VITEST)
  registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      return r.url.endsWith('.json') && !context.importAttributes.type ? { ...r, importAttributes: { ...context.importAttributes, type: 'json' } } : r;
    },
  });
export const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
const { Evaluator, Lexer, Parser, data } = await import('@actions/expressions');
export const { truthy } = await import('@actions/expressions/result');


function statusFunctions(status: Status): FunctionDefinition[] {
  const fn = (name: string, value: boolean): FunctionDefinition => ({ name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) });
  return [fn('success', status.success), fn('failure', status.failure), fn('cancelled', status.cancelled), fn('always', true)];
}

/** Functions the runner refuses by name. */
export const UNSUPPORTED_FUNCTIONS = ['hashFiles'];

export function evaluate(expr: string, contexts: Contexts, status: Status = { success: true, failure: false, cancelled: false }): Data.ExpressionData {
  for (const f of UNSUPPORTED_FUNCTIONS) if (new RegExp(`\\b${f}\\s*\\(`).test(expr)) throw new UnsupportedError(`${f}() is not supported by the local runner`);
  const functions = statusFunctions(status);
  const lexed = new Lexer(expr).lex();
  const ast = new Parser(lexed.tokens, Object.keys(contexts), functions).parse();
  const ctx = JSON.parse(JSON.stringify(contexts), data.reviver) as Data.Dictionary;
  return new Evaluator(ast, ctx, new Map(functions.map((f) => [f.name.toLowerCase(), f]))).evaluate();
}

/** A string with `${{ }}` parts, as the raw YAML of `with:` and `shell:` holds them. */
export function evaluateTemplate(text: string, contexts: Contexts): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) return out + text.slice(i);
    out += text.slice(i, start);
    let j = start + 3;
    let quoted = false;
    for (; j < text.length; j++) {
      if (text[j] === "'") quoted = !quoted;
      else if (!quoted && text.startsWith('}}', j)) break;
    }
    if (j >= text.length) throw new Error(`An expression is not closed: ${text.slice(start, start + 40)}`);
    out += evaluate(text.slice(start + 3, j).trim(), contexts).coerceString();
    i = j + 2;
  }
}

export function tokenValue(token: Token | undefined, contexts: Contexts, status?: Status): unknown {
  if (!token) return undefined;
  switch (token.type) {
    case T.String:
    case T.Boolean:
    case T.Number:
      return token.value;
    case T.Null:
      return null;
    case T.Expression: {
      const v = evaluate(token.expr!, contexts, status);
      return JSON.parse(JSON.stringify(v, data.replacer)) as unknown;
    }
    case T.Sequence:
      return token.seq!.map((t) => tokenValue(t, contexts, status));
    case T.Mapping:
      return Object.fromEntries(token.map!.map((kv) => [String(tokenValue(kv.key, contexts)), tokenValue(kv.value, contexts, status)]));
    default:
      throw new UnsupportedError(`a ${token.type === T.Insert ? 'template insert (${{ insert }})' : `token of type ${token.type}`} is not supported`);
  }
}

export const asString = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function stringMap(token: Token | undefined, contexts: Contexts): Record<string, string> {
  const v = tokenValue(token, contexts);
  return Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, asString(x)]));
}

export function isTrue(token: Token | undefined, contexts: Contexts, status: Status): boolean {
  if (!token) return status.success;
  if (token.type === T.Expression) return truthy(evaluate(token.expr!, contexts, status));
  return Boolean(tokenValue(token, contexts, status));
}

/** A timeout-minutes value (a number, or an expression GitHub evaluates), 360 by default. */
export function minutes(value: unknown, ctx: Contexts, what: string): number {
  if (value === undefined) return 360;
  const n = Number(typeof value === 'string' ? evaluateTemplate(value, ctx) : value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: timeout-minutes ${JSON.stringify(value)} is not a positive number of minutes`);
  return n;
}
