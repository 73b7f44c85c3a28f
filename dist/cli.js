#!/usr/bin/env node
import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{OpkError}from"./chunks/chunk-K7DFXCGG.js";import"./chunks/chunk-XJZX5YZ4.js";var USAGE=`usage: opk-attest <command> [options]

commands:
  pktoken issue|verify|inspect   make, check or show an OpenPubkey PK token
  inspect IMAGE                  show an image's attestations and signatures
`,commands={};async function runCli(argv){let[name,...rest]=argv;if(name===void 0||name==="--help"||name==="-h")return process.stdout.write(USAGE),name===void 0?2:0;let load=commands[name];if(!load)return process.stderr.write(`opk-attest: unknown command "${name}"
${USAGE}`),2;try{return await(await load())(rest)}catch(err){return process.stderr.write(`opk-attest ${name}: ${formatError(err)}
`),1}}function formatError(err){return err instanceof OpkError?`${err.message} [${err.code}]`:err instanceof Error?err.message:String(err)}process.exitCode=await runCli(process.argv.slice(2));
