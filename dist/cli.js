#!/usr/bin/env node
import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{printable}from"./chunks/chunk-YVKP2PCG.js";import{formatError}from"./chunks/chunk-FELRAR72.js";import"./chunks/chunk-K7DFXCGG.js";import"./chunks/chunk-XJZX5YZ4.js";var USAGE=`usage: opk-attest <command> [options]

commands:
  pktoken issue|verify|inspect   make, check or show an OpenPubkey PK token
  sign IMAGE\u2026                    sign an image's attestations (CI or any OIDC provider)
  verify IMAGE                   verify an image's signed attestations
  inspect IMAGE                  show an image's attestations and signatures
  revoke DIGEST | --signer NAME  the same as "trust revoke"
  trust <subcommand>             manage the TUF-distributed trust policy (init, signer, publish, \u2026)

Run "opk-attest <command> --help" for a command's options.
`,commands={pktoken:async()=>(await import("./chunks/pktoken-CBU3J5FD.js")).pktokenCommand,inspect:async()=>(await import("./chunks/inspect-LUCZDBV5.js")).inspectCommand,sign:async()=>(await import("./chunks/sign-3ZHLNGUM.js")).signCommand,verify:async()=>(await import("./chunks/verify-XDU5ABSP.js")).verifyCommand,trust:async()=>(await import("./chunks/trust-R6DUWWTN.js")).trustCommand,revoke:async()=>{let{trustCommand}=await import("./chunks/trust-R6DUWWTN.js");return argv=>trustCommand(["revoke",...argv])}};async function runCli(argv){let[name,...rest]=argv;if(name===void 0||name==="--help"||name==="-h")return process.stdout.write(USAGE),name===void 0?2:0;let load=commands[name];if(!load)return process.stderr.write(`opk-attest: unknown command "${name}"
${USAGE}`),2;try{return await(await load())(rest)}catch(err){return process.stderr.write(`opk-attest ${name}: ${printable(formatError(err))}
`),1}}process.exitCode=await runCli(process.argv.slice(2));
