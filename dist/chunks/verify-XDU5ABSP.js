import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{formatReport,reportJson,simplePolicy,simpleTrust,verificationSummary,verifyImage}from"./chunk-D4JSB3PV.js";import"./chunk-U25VOAVY.js";import{loadTrust,parsePolicy,trustMaterialFrom}from"./chunk-ZOV76W6K.js";import"./chunk-RDAMVZCL.js";import{readJwksFile}from"./chunk-2NIN66F6.js";import{GITHUB_ACTIONS_ISSUER,jwksKeyFinder}from"./chunk-RLHUZ7DG.js";import"./chunk-KE32GXVX.js";import"./chunk-3WZ54MBB.js";import{integer,keyValues,oneOf,runCommand}from"./chunk-2LP6KP6H.js";import{printable}from"./chunk-YVKP2PCG.js";import{UsageError}from"./chunk-FELRAR72.js";import"./chunk-HCFNHI4R.js";import"./chunk-K7DFXCGG.js";import"./chunk-FTALL5KJ.js";import"./chunk-XJZX5YZ4.js";import{writeFile}from"node:fs/promises";import{readFile}from"node:fs/promises";import os from"node:os";import path from"node:path";var TRUST_OPTIONS={issuer:{type:"string",multiple:!0},jwks:{type:"string"},"commitment-claim":{type:"string"},"tlog-key":{type:"string",multiple:!0},"transparency-log":{type:"string"},policy:{type:"string"},"signer-claim":{type:"string",multiple:!0},threshold:{type:"string"},require:{type:"string",multiple:!0},"tuf-repository":{type:"string"},"tuf-root":{type:"string"},"tuf-cache":{type:"string"}},TRUST_USAGE=`trust from a TUF trust repository (opk-attest trust \u2026):
  --tuf-repository URL|DIR   the repository (https URL, or a directory); policy, OIDC key archive
                             and log keys come from it (live OIDC discovery for keys it lacks)
  --tuf-root FILE            the repository's root metadata you trust (e.g. 1.root.json)
  --tuf-cache DIR            cache of verified metadata (default ~/.cache/opk-attest/tuf)
  --commitment-claim aud|nonce
                             where its issuers put the commitment (default: aud for GitHub Actions'
                             issuer, nonce for others)
trust from flags (without --tuf-repository):
  --issuer URL               an accepted OIDC issuer; repeatable (default ${GITHUB_ACTIONS_ISSUER})
  --jwks FILE                the issuer's keys as a JWK Set (default: live OIDC discovery)
  --commitment-claim aud|nonce
                             where the issuer puts the commitment (default aud: GitHub-style issuers)
  --transparency-log URL|false
                             the log the signatures were recorded in (default https://rekor.sigstore.dev);
                             false: signatures need no log entry
  --tlog-key FILE            the log's public key (PEM); repeatable. Without it, the key the log
                             serves at URL is used (trust on first use: pin it for real checks)
policy (or --policy FILE with a policy.json):
  --signer-claim NAME=GLOB   a claim every signer must have, e.g. repository=acme/*; repeatable
  --threshold N              distinct signers required (default 1)
  --require TYPE             a predicate type (glob) that must be signed; repeatable
`,FLAG_TRUST=["issuer","jwks","tlog-key","transparency-log","policy","signer-claim","threshold","require"];async function trustFromFlags(v){if(v["tuf-repository"]!==void 0||v["tuf-root"]!==void 0)return trustFromTuf(v);let issuers=v.issuer?.length?v.issuer:[GITHUB_ACTIONS_ISSUER],claim=oneOf(v["commitment-claim"]??"aud","--commitment-claim",["aud","nonce"]),transparencyLog=v["transparency-log"]==="false"?!1:v["transparency-log"]??"https://rekor.sigstore.dev",trust=await simpleTrust({issuers,commitmentClaim:claim,...v.jwks?{findKey:await jwksFinder(v.jwks,issuers)}:{},logKeyPems:await Promise.all((v["tlog-key"]??[]).map(f=>readFile(f,"utf8"))),transparencyLog}),policy=v.policy?parsePolicy(await readFile(v.policy),v.policy):simplePolicy({issuers,claims:keyValues(v["signer-claim"],"--signer-claim"),threshold:v.threshold===void 0?1:integer(v.threshold,"--threshold",1),require:v.require??[],transparencyLog},"verify flags (--issuer, --signer-claim, --threshold, --require)");return{trust,policy,transparencyLog}}async function jwksFinder(file,issuers){let jwks=await readJwksFile(file);return jwksKeyFinder(Object.fromEntries(issuers.map(i=>[i,jwks])))}async function trustFromTuf(v){if(v["tuf-repository"]===void 0||v["tuf-root"]===void 0)throw new UsageError("--tuf-repository and --tuf-root go together");let clash=FLAG_TRUST.filter(k=>v[k]!==void 0);if(clash.length>0)throw new UsageError(`${clash.map(k=>`--${k}`).join(", ")} cannot be used with --tuf-repository: the trust repository supplies them`);let bundle=await loadTrust({repository:v["tuf-repository"],trustedRoot:v["tuf-root"],cacheDir:v["tuf-cache"]??defaultCacheDir()});for(let w of bundle.warnings)process.stderr.write(`opk-attest: warning: ${printable(w)}
`);let claim=v["commitment-claim"]===void 0?void 0:oneOf(v["commitment-claim"],"--commitment-claim",["aud","nonce"]),trust=trustMaterialFrom(bundle,{live:!0});return{trust:claim?{...trust,commitmentClaims:Object.fromEntries(trust.issuers.map(i=>[i,claim]))}:trust,policy:bundle.policy,transparencyLog:!1}}function defaultCacheDir(){return path.join(process.env.XDG_CACHE_HOME||path.join(os.homedir(),".cache"),"opk-attest","tuf")}var USAGE=`usage: opk-attest verify IMAGE [options]

Verifies the signed attestations of IMAGE (name@digest or name:tag): for each platform, every
referrer's DSSE signature, PK token, binding, log entry and subject; then the policy.
Exit status: 0 verified, 1 not verified, 2 usage error.

options:
  --platform OS/ARCH         only this platform; repeatable
  --referrers-repository R   signatures are stored in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --json                     print the report as JSON
  --vsa FILE                 also write a SLSA verification summary (in-toto statement) to FILE
${TRUST_USAGE}`,SPEC={name:"verify",usage:USAGE,positionals:{min:1,max:1},options:{...TRUST_OPTIONS,platform:{type:"string",multiple:!0},"referrers-repository":{type:"string"},"insecure-registry":{type:"string",multiple:!0},json:{type:"boolean"},vsa:{type:"string"}}};function verifyCommand(argv){return runCommand(SPEC,argv,async({values:v,positionals})=>{let{trust,policy}=await trustFromFlags(v);!v.policy&&!v["tuf-repository"]&&!v["signer-claim"]?.length&&process.stderr.write(`opk-attest verify: warning: any identity of ${trust.issuers.join(", ")} is accepted as a signer; pin yours with --signer-claim repository=OWNER/REPO or --policy FILE
`);let report=await verifyImage({image:positionals[0],trust,policy,...v.platform?{platforms:v.platform}:{},...v["referrers-repository"]?{referrersRepository:v["referrers-repository"]}:{},registry:{insecureRegistries:v["insecure-registry"]??[]}});if(process.stdout.write(`${v.json?reportJson(report):printable(formatReport(report))}
`),v.vsa){let policyUri=v["tuf-repository"]??(v.policy?`file:${v.policy}`:"opk-attest:verify-flags");await writeFile(v.vsa,verificationSummary(report,{policy,policyUri}))}return report.passed?0:1})}export{verifyCommand};
