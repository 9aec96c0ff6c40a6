import { parseArgs } from "node:util";
import { MariaDbStore } from "./db.js";
import { createApp } from "./server.js";

// The e-book's go-auth command line: `run -p 9000 --db-host db`.
const { values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", short: "p", default: process.env.PORT ?? "9000" },
    "db-host": { type: "string", default: process.env.DB_HOST ?? "db" },
    "db-port": { type: "string", default: process.env.DB_PORT ?? "3306" },
    "db-user": { type: "string", default: process.env.DB_USER ?? "messenger" },
    "db-password": { type: "string", default: process.env.DB_PASSWORD ?? "messenger" },
    "db-name": { type: "string", default: process.env.DB_NAME ?? "messenger" },
  },
});

const store = new MariaDbStore({
  host: values["db-host"],
  port: Number(values["db-port"]),
  user: values["db-user"],
  password: values["db-password"],
  database: values["db-name"],
});
const server = createApp(store).listen(Number(values.port), () => {
  console.log(`auth-service listening on :${values.port}, database ${values["db-host"]}:${values["db-port"]}`);
});
for (const sig of ["SIGTERM", "SIGINT"] as const)
  process.on(sig, () => server.close(() => store.end().finally(() => process.exit(0))));
