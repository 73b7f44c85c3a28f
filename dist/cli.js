#!/usr/bin/env node
import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{runCli}from"./chunks/chunk-PYJR47GW.js";import"./chunks/chunk-E6C32UTV.js";import"./chunks/chunk-XXCMBVWR.js";import"./chunks/chunk-VZWIJIF7.js";import"./chunks/chunk-E6IDJBQO.js";process.exitCode=await runCli(process.argv.slice(2));
