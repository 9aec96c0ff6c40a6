import { createServer, type IncomingMessage, type Server } from "node:http";
import { hashPassword, validate, ValidationError, type UserStore } from "./users.js";
import pkg from "../package.json" with { type: "json" };

const MAX_BODY = 16 * 1024;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new ValidationError("request body too large");
  }
  return new URLSearchParams(body);
}

export function createApp(store: UserStore): Server {
  return createServer(async (req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${text}\n`);
    };
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/health" && req.method === "GET") {
        await store.ping();
        return send(200, "OK");
      }
      if (url.pathname === "/version" && req.method === "GET") {
        return send(200, pkg.version);
      }
      if (url.pathname === "/user" && req.method === "PUT") {
        const form = await readForm(req);
        const { userId, password } = validate(form.get("userid"), form.get("password"));
        const added = await store.add(userId, await hashPassword(password));
        return added ? send(200, "User created") : send(409, "User already exists");
      }
      return send(404, "Not found");
    } catch (err) {
      if (err instanceof ValidationError) return send(400, err.message);
      console.error(err);
      return send(503, "Service unavailable");
    }
  });
}
