import { createPublicKey, verify } from "node:crypto";
import express from "express";
import { cors } from "../merchant-server/app";
import { ORIGIN } from "../merchant-server/testing";
import { errorHandler, jsonBody, requestLog } from "../service/http";
import { createLogger } from "../service/logger";

/**
 * The physical bound the unlock path is measured against: the merchant server's Express setup
 * (request log, CORS, JSON body) and the same request body as /v1/unlock, but the route does one
 * raw ES256 `crypto.verify` and nothing else.
 * Run as a child process by bench/run.ts; prints `{"url": …}` on stdout.
 */
const jwk = JSON.parse(process.env.BASELINE_JWK ?? "{}");
const publicKey = createPublicKey({ key: jwk, format: "jwk" });

const logger = createLogger("bench-baseline");
const app = express();
app.disable("x-powered-by");
app.use(requestLog(logger));
app.use(cors([ORIGIN]));
app.use(jsonBody());
app.post("/v1/unlock", (req, res) => {
  const receipt = String(req.body?.receipt ?? "");
  const dot = receipt.lastIndexOf(".");
  const ok = verify(
    "sha256",
    Buffer.from(receipt.slice(0, dot)),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(receipt.slice(dot + 1), "base64url"),
  );
  res.status(ok ? 200 : 401).json({ ok });
});

app.use(errorHandler(logger));

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
