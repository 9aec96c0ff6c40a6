import { createPool, type Pool, type SqlError } from "mariadb";
import type { UserStore } from "./users.js";

export interface DbOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export class MariaDbStore implements UserStore {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;

  constructor(opts: DbOptions) {
    this.pool = createPool({ ...opts, connectionLimit: 5, acquireTimeout: 5000 });
  }

  /** Creates the table on first use; retried on the next request until the database answers. */
  private ensureSchema(): Promise<void> {
    this.ready ??= this.pool
      .query(
        "CREATE TABLE IF NOT EXISTS users (user_id VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(200) NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
      )
      .then(() => undefined)
      .catch((err: unknown) => {
        this.ready = undefined;
        throw err;
      });
    return this.ready;
  }

  async ping(): Promise<void> {
    await this.ensureSchema();
    await this.pool.query("SELECT 1");
  }

  async add(userId: string, passwordHash: string): Promise<boolean> {
    await this.ensureSchema();
    try {
      await this.pool.query("INSERT INTO users (user_id, password_hash) VALUES (?, ?)", [userId, passwordHash]);
      return true;
    } catch (err) {
      if ((err as SqlError).code === "ER_DUP_ENTRY") return false;
      throw err;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
