import { readFileSync } from "node:fs";
import { Command } from "commander";
import { z } from "zod";
import { PublicJwk } from "../shared/schemas";
import { IssuerClient } from "./client";
import { IssuerConfig, loadConfigFile } from "./config";
import { rotateKeyFile } from "./keys";
import { startIssuer } from "./start";

/** The issuer's command line: serve, register merchants, rotate signing keys. */

const collect = (value: string, previous: string[]) => [...previous, value];
const systemClock = () => Math.floor(Date.now() / 1000);

const program = new Command("opentab-issuer");

program
  .command("serve")
  .requiredOption("--config <file>", "issuer config (JSON)")
  .action(async (options: { config: string }) => {
    const issuer = await startIssuer(loadConfigFile(options.config));
    const stop = () => void issuer.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

program
  .command("merchants")
  .command("add")
  .requiredOption("--issuer <url>", "issuer base URL")
  .requiredOption("--admin-token <token>", "issuer admin token")
  .requiredOption("--id <id>", "merchant id")
  .requiredOption("--name <name>", "display name")
  .requiredOption("--origin <origin>", "an origin the merchant serves (repeatable)", collect, [])
  .requiredOption("--server <url>", "merchant server URL")
  .requiredOption("--currency <code>", "ISO 4217 currency")
  .requiredOption("--key <file>", "the merchant's public key (JWK file)")
  .requiredOption("--payout <account>", "payout account")
  .action(
    async (options: {
      issuer: string;
      adminToken: string;
      id: string;
      name: string;
      origin: string[];
      server: string;
      currency: string;
      key: string;
      payout: string;
    }) => {
      // A JWK file may carry more members (kid, alg, even d); only the public point is sent.
      const { kty, crv, x, y } = z
        .looseObject(PublicJwk.pick({ kty: true, crv: true, x: true, y: true }).shape)
        .parse(JSON.parse(readFileSync(options.key, "utf8")));
      await new IssuerClient(options.issuer).registerMerchant(options.adminToken, {
        id: options.id,
        name: options.name,
        origins: options.origin,
        server: options.server,
        currency: options.currency,
        keys: [{ kty, crv, x, y }],
        payoutAccount: options.payout,
      });
      process.stdout.write(`merchant ${options.id} registered\n`);
    },
  );

program
  .command("keys")
  .command("rotate")
  .requiredOption("--config <file>", "issuer config (JSON)")
  .action(async (options: { config: string }) => {
    const config = IssuerConfig.parse(loadConfigFile(options.config));
    const kid = await rotateKeyFile(config.keyFile, systemClock(), {
      tabTtl: config.tabTtlSeconds,
      grace: config.graceSeconds,
    });
    process.stdout.write(`new signing key ${kid}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
