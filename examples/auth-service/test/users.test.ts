import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { hashPassword, validate, verifyPassword, ValidationError, type UserStore } from "../src/users.js";
import { createApp } from "../src/server.js";

test("passwords are stored hashed and verify", async () => {
  const hash = await hashPassword("s3cret!");
  assert.ok(hash.startsWith("scrypt$"));
  assert.ok(!hash.includes("s3cret!"));
  assert.equal(await verifyPassword("s3cret!", hash), true);
  assert.equal(await verifyPassword("wrong", hash), false);
});

test("user ids and passwords are validated", () => {
  assert.deepEqual(validate("alice", "pass1"), { userId: "alice", password: "pass1" });
  assert.throws(() => validate("", "pass1"), ValidationError);
  assert.throws(() => validate("a b", "pass1"), ValidationError);
  assert.throws(() => validate("alice", "abc"), ValidationError);
});

function put(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, method: "PUT", path: "/user", headers: { "content-type": "application/x-www-form-urlencoded" } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("PUT /user answers 200, then 409 for the same user", async () => {
  const users = new Map<string, string>();
  const store: UserStore = {
    add: async (id, hash) => (users.has(id) ? false : (users.set(id, hash), true)),
    ping: async () => undefined,
  };
  const server = createApp(store).listen(0);
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await put(port, "userid=bob&password=hunter22"), 200);
    assert.equal(await put(port, "userid=bob&password=hunter22"), 409);
    assert.equal(await put(port, "userid=&password=x"), 400);
    assert.notEqual(users.get("bob"), "hunter22");
  } finally {
    server.close();
  }
});
