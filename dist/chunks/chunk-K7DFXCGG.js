import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
var OpkError=class extends Error{code;constructor(opts){super(opts.message,opts.cause===void 0?void 0:{cause:opts.cause}),this.code=opts.code,this.name=new.target.name}},CoreError=class extends OpkError{};export{OpkError,CoreError};
