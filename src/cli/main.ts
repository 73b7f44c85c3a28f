#!/usr/bin/env node
/** Entry point of the `opk-attest` command. */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
