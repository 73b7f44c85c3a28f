import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{require_undici}from"./chunk-JSV2DBRX.js";import"./chunk-UARJPMYS.js";export default require_undici();
