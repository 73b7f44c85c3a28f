import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{signImages}from"./chunk-NAGONZRD.js";import"./chunk-Q2AMFZP4.js";import{PROVIDER_OPTIONS,PROVIDER_USAGE,providerFromFlags}from"./chunk-R7UNLIYX.js";import{TIMEOUT_OPTION,deadlineFromFlag,timeoutUsage}from"./chunk-2VS354OJ.js";import{runCommand}from"./chunk-43MMIU6Q.js";import{UsageError}from"./chunk-DFGD73Z6.js";import{DEFAULT_SIGN_BUDGET_MS}from"./chunk-TSIJZ6WI.js";import"./chunk-VZWIJIF7.js";import"./chunk-JSV2DBRX.js";import"./chunk-UARJPMYS.js";import{readFile}from"node:fs/promises";var USAGE=`usage: opk-attest sign IMAGE... [options]

Signs every SBOM and provenance statement of each IMAGE (name@digest or name:tag) with one
OpenPubkey PK token, records the signatures in the transparency log and attaches them as OCI
referrers. The images' digests and tags never change. Re-running adds nothing unless --force.

options:
${PROVIDER_USAGE}  --platform OS/ARCH         only this platform; repeatable
  --sbom FILE                also sign this SPDX or CycloneDX JSON document for every platform
  --predicate-type URI       with --predicate: sign FILE as a predicate of this type
  --predicate FILE
  --transparency-log URL|false
                             Rekor URL (default https://rekor.sigstore.dev); false: do not log
  --referrers-repository R   store signatures in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --force                    sign statements this signer already signed
  --json                     print the result as JSON
${timeoutUsage(DEFAULT_SIGN_BUDGET_MS)}`,SPEC={name:"sign",usage:USAGE,positionals:{min:1,max:1e3},options:{...PROVIDER_OPTIONS,...TIMEOUT_OPTION,platform:{type:"string",multiple:!0},sbom:{type:"string"},"predicate-type":{type:"string"},predicate:{type:"string"},"transparency-log":{type:"string"},"referrers-repository":{type:"string"},"insecure-registry":{type:"string",multiple:!0},force:{type:"boolean"},json:{type:"boolean"}}};function signCommand(argv){return runCommand(SPEC,argv,async({values:v,positionals})=>{if(!!v["predicate-type"]!=!!v.predicate)throw new UsageError("--predicate-type and --predicate go together");let deadline=deadlineFromFlag(v.timeout,DEFAULT_SIGN_BUDGET_MS),provider=providerFromFlags(v,{deadline}),result=await signImages({images:positionals,provider,...v.platform?{platforms:v.platform}:{},extra:{...v.sbom?{sbom:await readInput(v.sbom,"--sbom")}:{},...v.predicate?{predicate:{type:v["predicate-type"],bytes:await readInput(v.predicate,"--predicate")}}:{}},transparencyLog:v["transparency-log"]==="false"?!1:v["transparency-log"]??"https://rekor.sigstore.dev",...v["referrers-repository"]?{referrersRepository:v["referrers-repository"]}:{},registry:{insecureRegistries:v["insecure-registry"]??[]},force:v.force??!1,deadline,log:line=>process.stderr.write(`${line}
`)});if(v.json)process.stdout.write(`${JSON.stringify(result,null,2)}
`);else{for(let s of result.signed)process.stdout.write(`signed  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}  log ${s.logIndex??"-"}
`);for(let s of result.skipped)process.stdout.write(`already signed  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}
`)}return 0})}async function readInput(path,option){try{return await readFile(path)}catch(err){throw new UsageError(`cannot read ${option} ${path} (${err.code??"error"})`,err)}}export{signCommand};
