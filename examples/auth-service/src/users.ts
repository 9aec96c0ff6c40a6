import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface UserStore {
  /** Adds a user; false when the user id is taken. */
  add(userId: string, passwordHash: string): Promise<boolean>;
  ping(): Promise<void>;
}

export class ValidationError extends Error {}

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

export function validate(userId: string | null, password: string | null): { userId: string; password: string } {
  if (!userId || !USER_ID.test(userId)) throw new ValidationError("userid must be 1 to 64 letters, digits or _.@-");
  if (!password || password.length < 4 || password.length > 256)
    throw new ValidationError("password must be 4 to 256 characters");
  return { userId, password };
}

/** scrypt$<salt hex>$<key hex> */
export async function hashPassword(password: string, salt = randomBytes(16)): Promise<string> {
  const key = await scryptAsync(password, salt, 32);
  return `scrypt$${salt.toString("hex")}$${key.toString("hex")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, keyHex] = stored.split("$");
  if (scheme !== "scrypt" || !saltHex || !keyHex) return false;
  const key = await scryptAsync(password, Buffer.from(saltHex, "hex"), 32);
  return timingSafeEqual(key, Buffer.from(keyHex, "hex"));
}
