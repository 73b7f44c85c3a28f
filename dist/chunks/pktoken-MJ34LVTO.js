import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{PROVIDER_OPTIONS,PROVIDER_USAGE,announcingProvider,providerFromFlags}from"./chunk-PPMYJTPN.js";import{readJwksFile,readTokenFile}from"./chunk-SJQAXNXC.js";import{TIMEOUT_OPTION,deadlineFromFlag,timeoutUsage}from"./chunk-F7ENSKOD.js";import{atMostOne,integer,keyValues,oneOf,required,runCommand}from"./chunk-NAJCFSEN.js";import{UsageError,formatError,safeJson,safeText}from"./chunk-XXCMBVWR.js";import{CIC_RESERVED_CLAIMS,DEFAULT_VERIFY_BUDGET_MS,EphemeralKey,GITHUB_ACTIONS_ISSUER,GQ256,PkTokenError,decodeGqToken,discoveryKeyFinder,issuePkToken,jwksKeyFinder,keyidOfJwk,parsePkToken,verifyPkToken}from"./chunk-WIPHR7ZQ.js";import"./chunk-VZWIJIF7.js";import"./chunk-E6IDJBQO.js";function fields(rows,indent=""){let width=Math.max(...rows.map(([label])=>label.length))+1;return rows.map(([label,value])=>`${indent}${`${label}:`.padEnd(width+1)}${value}
`).join("")}var TIME_CLAIMS=new Set(["iat","exp","nbf","auth_time"]);function claimText(name,value){return TIME_CLAIMS.has(name)&&typeof value=="number"&&Number.isSafeInteger(value)&&Math.abs(value)<1e11?`${value} (${new Date(value*1e3).toISOString()})`:safeText(value)}function opHeaders(pkt){let header=pkt.op.header,alg=String(header.alg);if(alg!==GQ256)return{alg,header,original:void 0,kid:stringOf(header.kid),jkt:void 0};let original=decodeGqToken(pkt.token("op")).originalHeader;return{alg,header,original,kid:stringOf(original.kid),jkt:stringOf(header.jkt)}}function stringOf(value){return typeof value=="string"?value:void 0}var USAGE=`usage: opk-attest pktoken inspect --token FILE [--json]

Shows a PK token (JSON or compact form): its claims, the CIC and its extra claims (att, atts),
the user key, the OP signature's header (for GQ256 also the original header decoded from kid,
and jkt) and the token hash. Nothing is verified: use "opk-attest pktoken verify" for that.

options:
  --token FILE   the PK token; - reads stdin
  --json         print one JSON object instead of text
`,SPEC={name:"pktoken inspect",usage:USAGE,options:{token:{type:"string"},json:{type:"boolean"}}},NOT_VERIFIED='not verified: inspect only decodes the token; run "opk-attest pktoken verify" to check it';function inspectPkTokenCommand(argv){return runCommand(SPEC,argv,async({values})=>{let raw=await readTokenFile(required(values.token,"--token FILE")),report=describe(parsePkToken(raw),raw[0]===123?"json":"compact");return process.stdout.write(values.json?`${safeJson(report)}
`:text(report)),0})}function describe(pkt,form){let op=opHeaders(pkt),cic=pkt.cic.header;return{verified:!1,note:NOT_VERIFIED,hash:pkt.hash(),form,issuer:pkt.issuer,subject:pkt.claims.sub,claims:pkt.claims,op:{alg:op.alg,header:op.header,originalHeader:op.original,kid:op.kid,jkt:op.jkt},cic:{header:cic,extraClaims:Object.fromEntries(Object.entries(cic).filter(([name])=>!CIC_RESERVED_CLAIMS.includes(name)))},upk:cic.upk,upkKeyid:p256Keyid(cic.upk),cos:pkt.cos?.header??null,refreshedIdToken:pkt.freshIdToken===void 0?"absent":"present (not shown: it is a bearer token)"}}function p256Keyid(upk){let jwk=upk;if(!(jwk?.kty!=="EC"||jwk.crv!=="P-256"||typeof jwk.x!="string"||typeof jwk.y!="string"))try{return keyidOfJwk({x:jwk.x,y:jwk.y})}catch{return}}function text(r){let cicRows=Object.entries(r.cic.header).filter(([name])=>name!=="upk").map(([name,value])=>[name,safeText(value)]);return[`PK token (${r.note})
`,fields([["hash",`${r.hash} (the OSM kid)`],["form",r.form],["issuer",safeText(r.issuer)],["subject",safeText(r.subject)]]),`
claims:
`,fields(Object.entries(r.claims).map(([name,value])=>[name,claimText(name,value)]),"  "),`
OP signature:
`,fields([["alg",safeText(r.op.alg)],["header",safeJson(r.op.header)],...r.op.originalHeader?[["original header (decoded from kid)",safeJson(r.op.originalHeader)]]:[],["OP key id",r.op.kid===void 0?"(none)":safeText(r.op.kid)],...r.op.jkt!==void 0?[["jkt",safeText(r.op.jkt)]]:[]],"  "),`
CIC (client instance claims; extra claims such as att/atts are listed here too):
`,fields(cicRows,"  "),`
user key (upk):
`,fields([["jwk",safeJson(r.upk)],...r.upkKeyid?[["keyid (DSSE)",r.upkKeyid]]:[]],"  "),`
`,fields([["cosigner",r.cos?safeJson(r.cos):"none"],["refreshed ID token",r.refreshedIdToken]])].join("")}import{open}from"node:fs/promises";var USAGE2=`usage: opk-attest pktoken issue [--provider github|file|client-credentials] [options]

Gets an ID token that commits to a fresh ephemeral key and prints the GQ256 PK token (JSON) on
stdout, with a one-line summary on stderr. The ephemeral key is discarded: the token is for
debugging and interoperability, it cannot sign anything.

options:
${PROVIDER_USAGE}  --extra-claim NAME=VALUE   an extra CIC claim (e.g. att=<hex>); repeatable
  --out FILE                 write the token to FILE (mode 0600) instead of stdout
${timeoutUsage(DEFAULT_VERIFY_BUDGET_MS)}`,SPEC2={name:"pktoken issue",usage:USAGE2,options:{...PROVIDER_OPTIONS,...TIMEOUT_OPTION,"extra-claim":{type:"string",multiple:!0},out:{type:"string"}}};function issuePkTokenCommand(argv){return runCommand(SPEC2,argv,async({values})=>{let extraClaims=keyValues(values["extra-claim"],"--extra-claim"),deadline=deadlineFromFlag(values.timeout,DEFAULT_VERIFY_BUDGET_MS),provider=announcingProvider(providerFromFlags(values,{deadline}),SPEC2.name,values["token-file"]),pkt=await issuePkToken({requestIdToken:commitment=>provider.requestIdToken(commitment),commitmentClaim:provider.commitmentClaim,key:EphemeralKey.generate(),extraClaims,findKey:discoveryKeyFinder({deadline}),gq:!0});return await output(pkt,values.out),process.stderr.write(`${summary(pkt)}
`),0})}async function output(pkt,out){let json=pkt.jsonBytes();if(out===void 0){process.stdout.write(Buffer.concat([json,Buffer.from(`
`)]));return}let file=await open(out,"w",384).catch(err=>{throw new UsageError(`cannot write --out ${out} (${err.code??"error"}); check the path`,err)});try{await file.chmod(384),await file.writeFile(json)}finally{await file.close()}}function summary(pkt){let op=opHeaders(pkt);return`issued PK token: issuer ${safeText(pkt.issuer)}, sub ${safeText(pkt.claims.sub)}, kid ${op.kid===void 0?"(none)":safeText(op.kid)}, hash ${pkt.hash()} (ephemeral key discarded: debugging and interop only)`}var USAGE3=`usage: opk-attest pktoken verify --token FILE (--jwks FILE | --issuer-discovery) [options]

Verifies a PK token (JSON or compact form): the CIC signature by its user key, the issuer, the
OP signature (GQ256; RS256 only with --allow-rs256), the commitment and the token's age.
Exit status: 0 valid, 1 invalid (reason and code on stderr), 2 usage error.

options:
  --token FILE               the PK token; - reads stdin
  --jwks FILE                the OP's keys as a JWK Set (e.g. a saved copy of its jwks_uri)
  --issuer-discovery         fetch the issuer's live keys by OIDC discovery (https)
  --issuer URL               an accepted issuer; repeatable
                             (default ${GITHUB_ACTIONS_ISSUER})
  --max-age SECONDS          valid until iat + SECONDS (default 86400)
  --check-exp                valid until the ID token's exp
  --never-expire             no time check (stored signatures bound by att/atts)
  --now UNIX                 check the age at this time (seconds since 1970) instead of now
  --commitment-claim aud|nonce
                             where the commitment is (default: aud for GitHub Actions issuers \u2014
                               GitHub.com, GHE.com, GHES \u2014 else nonce)
  --allow-rs256              accept an RS256 OP signature (the token then holds a bearer ID token)
  --legacy-gq                GQ256 as openpubkey made it before v0.25.0 (jkt not signed)
  --json                     print {"valid":\u2026} as JSON on stdout
`,SPEC3={name:"pktoken verify",usage:USAGE3,options:{token:{type:"string"},jwks:{type:"string"},"issuer-discovery":{type:"boolean"},issuer:{type:"string",multiple:!0},"max-age":{type:"string"},"check-exp":{type:"boolean"},"never-expire":{type:"boolean"},now:{type:"string"},"commitment-claim":{type:"string"},"allow-rs256":{type:"boolean"},"legacy-gq":{type:"boolean"},json:{type:"boolean"}}};function verifyPkTokenCommand(argv){return runCommand(SPEC3,argv,async({values})=>{let tokenPath=required(values.token,"--token FILE"),policy=policyOf(values);try{let findKey=await keySource(values,policy.allowedIssuers),verified=await verifyPkToken(await readTokenFile(tokenPath),{...policy,findKey});return process.stdout.write(values.json?`${safeJson(validReport(verified))}
`:validText(verified)),0}catch(err){if(!(err instanceof PkTokenError))throw err;return process.stderr.write(`opk-attest ${SPEC3.name}: ${formatError(err)}
`),values.json&&process.stdout.write(`${safeJson({valid:!1,code:err.code,message:err.message})}
`),1}})}function policyOf(v){if(!atMostOne({"--jwks":v.jwks!==void 0,"--issuer-discovery":v["issuer-discovery"]===!0}))throw new UsageError("say where the OP keys come from: --jwks FILE or --issuer-discovery");let now=v.now===void 0?void 0:integer(v.now,"--now");return{allowedIssuers:v.issuer?.length?v.issuer:[GITHUB_ACTIONS_ISSUER],expiry:expiryOf(v),now:now===void 0?void 0:()=>new Date(now*1e3),commitmentClaim:v["commitment-claim"]===void 0?void 0:oneOf(v["commitment-claim"],"--commitment-claim",["aud","nonce"]),requireGq:!v["allow-rs256"],legacyGq:v["legacy-gq"]===!0}}function expiryOf(v){let chosen=atMostOne({"--max-age":v["max-age"]!==void 0,"--check-exp":v["check-exp"]===!0,"--never-expire":v["never-expire"]===!0});if(chosen==="--max-age")return{kind:"max-age",seconds:integer(v["max-age"],"--max-age",1)};if(chosen==="--check-exp")return{kind:"exp"};if(chosen==="--never-expire")return{kind:"never"}}async function keySource(v,issuers){if(v.jwks===void 0)return discoveryKeyFinder();let jwks=await readJwksFile(v.jwks);return jwksKeyFinder(Object.fromEntries(issuers.map(issuer=>[issuer,jwks])))}function validReport(v){return{valid:!0,issuer:v.issuer,subject:v.subject,kid:v.kid??null,hash:v.hash,opAlg:v.opAlg,upk:v.upk,upkKeyid:upkKeyid(v),extraClaims:v.cic.extra,claims:v.claims}}function validText(v){let extra=Object.entries(v.cic.extra);return`valid PK token
${fields([["issuer",safeText(v.issuer)],["subject",safeText(v.subject)],["OP key id",v.kid===void 0?"(none)":safeText(v.kid)],["OP signature",v.opAlg],["hash",v.hash],["user key",`${v.upk.kty}${upkKeyid(v)?` keyid ${upkKeyid(v)}`:""}`],...extra.map(([name,value])=>[`CIC ${safeText(name)}`,safeText(value)])])}`}function upkKeyid(v){return v.upk.kty==="EC"&&v.upk.crv==="P-256"?keyidOfJwk(v.upk):void 0}var USAGE4=`usage: opk-attest pktoken <subcommand> [options]

subcommands:
  issue     get a PK token from an OIDC provider (debugging and interop: the key is discarded)
  verify    check a PK token's signatures, issuer, commitment and age
  inspect   show what a PK token contains, without verifying it

Run "opk-attest pktoken <subcommand> --help" for its options.
`,SUBCOMMANDS={issue:issuePkTokenCommand,verify:verifyPkTokenCommand,inspect:inspectPkTokenCommand};async function pktokenCommand(argv){let[name,...rest]=argv;if(name==="--help"||name==="-h")return process.stdout.write(USAGE4),0;let run=name===void 0||!Object.hasOwn(SUBCOMMANDS,name)?void 0:SUBCOMMANDS[name];return run?run(rest):(process.stderr.write(`opk-attest pktoken: ${name===void 0?"missing subcommand":"unknown subcommand"}; expected issue, verify or inspect
${USAGE4}`),2)}export{pktokenCommand};
