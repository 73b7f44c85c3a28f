import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{signImages}from"./chunk-U25VOAVY.js";import"./chunk-RDAMVZCL.js";import{PROVIDER_OPTIONS,PROVIDER_USAGE,providerFromFlags}from"./chunk-P2R3IQTX.js";import"./chunk-RLHUZ7DG.js";import"./chunk-KE32GXVX.js";import"./chunk-3WZ54MBB.js";import{runCommand}from"./chunk-2LP6KP6H.js";import{UsageError}from"./chunk-FELRAR72.js";import"./chunk-HCFNHI4R.js";import"./chunk-K7DFXCGG.js";import"./chunk-FTALL5KJ.js";import"./chunk-XJZX5YZ4.js";import{readFile}from"node:fs/promises";var USAGE=`usage: opk-attest sign IMAGE... [options]

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
`,SPEC={name:"sign",usage:USAGE,positionals:{min:1,max:1e3},options:{...PROVIDER_OPTIONS,platform:{type:"string",multiple:!0},sbom:{type:"string"},"predicate-type":{type:"string"},predicate:{type:"string"},"transparency-log":{type:"string"},"referrers-repository":{type:"string"},"insecure-registry":{type:"string",multiple:!0},force:{type:"boolean"},json:{type:"boolean"}}};function signCommand(argv){return runCommand(SPEC,argv,async({values:v,positionals})=>{if(!!v["predicate-type"]!=!!v.predicate)throw new UsageError("--predicate-type and --predicate go together");let provider=providerFromFlags(v),result=await signImages({images:positionals,provider,...v.platform?{platforms:v.platform}:{},extra:{...v.sbom?{sbom:await readInput(v.sbom,"--sbom")}:{},...v.predicate?{predicate:{type:v["predicate-type"],bytes:await readInput(v.predicate,"--predicate")}}:{}},transparencyLog:v["transparency-log"]==="false"?!1:v["transparency-log"]??"https://rekor.sigstore.dev",...v["referrers-repository"]?{referrersRepository:v["referrers-repository"]}:{},registry:{insecureRegistries:v["insecure-registry"]??[]},force:v.force??!1,log:line=>process.stderr.write(`${line}
`)});if(v.json)process.stdout.write(`${JSON.stringify(result,null,2)}
`);else{for(let s of result.signed)process.stdout.write(`signed  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}  log ${s.logIndex??"-"}
`);for(let s of result.skipped)process.stdout.write(`already signed  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}
`)}return 0})}async function readInput(path,option){try{return await readFile(path)}catch(err){throw new UsageError(`cannot read ${option} ${path} (${err.code??"error"})`,err)}}export{signCommand};
