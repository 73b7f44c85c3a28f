import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{packageVersion}from"./chunk-E6C32UTV.js";import{formatError,printable}from"./chunk-XXCMBVWR.js";var USAGE=`usage: opk-attest <command> [options]

commands:
  pktoken issue|verify|inspect   make, check or show an OpenPubkey PK token
  sign IMAGE\u2026                    sign an image's attestations (CI or any OIDC provider)
  verify IMAGE                   verify an image's signed attestations
  inspect IMAGE                  show an image's attestations and signatures
  revoke DIGEST | --signer NAME  the same as "trust revoke"
  monitor --log URL --identity C=G  watch a transparency log for signatures the policy does not allow
  trust <subcommand>             manage the TUF-distributed trust policy (init, signer, publish, \u2026)
                                 and "trust use": save the trust verify uses
  config                         show which saved trust configuration applies here and why
  docker install|uninstall       the "docker opk" plugin: pull, run and build only signed images
  version, --version             print the version of opk-attest

Run "opk-attest <command> --help" for a command's options.
`,commands={pktoken:async()=>(await import("./pktoken-MJ34LVTO.js")).pktokenCommand,inspect:async()=>(await import("./inspect-GMUBLIBF.js")).inspectCommand,sign:async()=>(await import("./sign-MQIZRL7A.js")).signCommand,verify:async()=>(await import("./verify-5V6JTP4C.js")).verifyCommand,trust:async()=>(await import("./trust-TK7EVJLZ.js")).trustCommand,config:async()=>(await import("./config-TIEAXGYZ.js")).configCommand,monitor:async()=>(await import("./monitor-3NBYQWCH.js")).monitorCommand,docker:async()=>(await import("./docker-H6OLEDXY.js")).dockerCommand,revoke:async()=>{let{trustCommand}=await import("./trust-TK7EVJLZ.js");return argv=>trustCommand(["revoke",...argv])}};async function runCli(argv){let[name,...rest]=argv;if(name===void 0||name==="--help"||name==="-h")return process.stdout.write(USAGE),name===void 0?2:0;if(name==="--version"||name==="version")return printVersion(rest);let load=commands[name];if(!load)return process.stderr.write(`opk-attest: unknown command "${name}"
${USAGE}`),2;try{return await(await load())(rest)}catch(err){return process.stderr.write(`opk-attest ${name}: ${printable(formatError(err))}
`),1}}function printVersion(rest){return rest.length>0?(process.stderr.write(`opk-attest version: takes no arguments
usage: opk-attest version | opk-attest --version
`),2):(process.stdout.write(`${packageVersion()}
`),0)}export{runCli};
