import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{setFailed}from"./chunks/chunk-FRPZHXQV.js";import"./chunks/chunk-FTALL5KJ.js";import"./chunks/chunk-XJZX5YZ4.js";setFailed("opk-attest/verify: verification is not implemented yet in this build");
