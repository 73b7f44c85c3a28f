import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{require_undici}from"./chunk-FTALL5KJ.js";import"./chunk-XJZX5YZ4.js";export default require_undici();
