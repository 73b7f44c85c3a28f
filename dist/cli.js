#!/usr/bin/env node
import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{runCli}from"./chunks/chunk-67HT2JUC.js";import"./chunks/chunk-YVKP2PCG.js";import"./chunks/chunk-DFGD73Z6.js";import"./chunks/chunk-VZWIJIF7.js";import"./chunks/chunk-UARJPMYS.js";process.exitCode=await runCli(process.argv.slice(2));
