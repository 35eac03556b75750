import { readFileSync } from "node:fs";
import { startIssuer } from "../issuer/start";

/** The issuer in its own process for the benchmark; prints its URL and trusted key ids. */
const issuer = await startIssuer(JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")));
process.stdout.write(`${JSON.stringify({ url: issuer.url, keys: issuer.keyThumbprints() })}\n`);
process.on("SIGTERM", () => issuer.close().then(() => process.exit(0)));
