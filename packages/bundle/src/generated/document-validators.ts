// Generated from schemas/*.schema.json by scripts/gen-validators.mjs (ajv 8.20.0).
// Do not edit: change the schema, then run `pnpm gen:types`.
// @ts-nocheck
/* eslint-disable */

export const validateBundleDocument = validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://incusx.dev/schemas/bundle.schema.json","title":"BundleManifest","description":"A bundle manifest: a set of plugins a distro packager ships together, each pinned to an exact version and unpacked in a directory of the bundle.","type":"object","additionalProperties":false,"required":["name","version","apiVersion","plugins"],"properties":{"$schema":{"description":"URL or path of this schema, for editors. Ignored by the host.","type":"string"},"name":{"description":"Bundle name: lower-case words joined by \".\", \"-\" or \"_\" (\"debian-default\").","type":"string","pattern":"^[a-z0-9]+([._-][a-z0-9]+)*$"},"version":{"description":"Version of the bundle itself, semver (\"1.2.0\").","type":"string","pattern":"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"},"description":{"description":"What the bundle is for, for humans.","type":"string"},"apiVersion":{"description":"The plugin API version (the SDK's API_VERSION) of the host this bundle was assembled for (\"1\").","type":"string","pattern":"^[1-9][0-9]*$"},"plugins":{"description":"The plugins in the bundle, in any order.","type":"array","items":{"title":"BundlePlugin","description":"One plugin package shipped in the bundle.","type":"object","additionalProperties":false,"required":["id","package","version","path"],"properties":{"id":{"description":"The plugin id; must equal the \"id\" in the package's manifest.","type":"string","pattern":"^[a-z0-9]+([._-][a-z0-9]+)*$"},"package":{"description":"npm package name of the plugin (\"@incusx/plugin-dhcpv4\").","type":"string","pattern":"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$"},"version":{"description":"Exact semver version of the package in the bundle (\"1.4.2\"); ranges are not allowed.","type":"string","pattern":"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"},"path":{"description":"Directory of the unpacked package, relative to the bundle manifest's directory, without \"..\" segments (\"plugins/dhcpv4\").","type":"string","pattern":"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},"integrity":{"description":"Subresource Integrity string of the package tarball (\"sha512-\" and base64), as in package-lock files.","type":"string","pattern":"^sha512-[A-Za-z0-9+/]{86}==$"},"enabled":{"description":"Whether the host loads this plugin. Default: true.","type":"boolean","default":true},"config":{"description":"The plugin's config, checked against the config schema in its manifest.","tsType":"unknown"},"onFailure":{"description":"What the host does when this plugin fails: \"abort\" or \"continue\". Default: the host's defaults.onFailure.","type":"string","enum":["abort","continue"]},"entry":{"description":"Module whose default export is the plugin, relative to \"path\" (\"dist/index.js\"). Written by \"incusx bundle create\", so a host loads the plugin without reading its package.json.","type":"string","pattern":"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},"manifest":{"description":"A copy of the plugin's manifest (the \"incusx\" field of its package.json), so a host reads every manifest from the bundle manifest instead of scanning packages. Must equal the package's own.","type":"object","tsType":"{ [keyword: string]: unknown }"},"sha256":{"description":"Digest of the plugin package's files: the lower-case hex SHA-256 of the lines \"<sha256 of file>  <path>\\n\" (sha256sum's format), one per file under \"path\", paths relative to it and sorted by byte value.","type":"string","pattern":"^[0-9a-f]{64}$"}}}},"files":{"description":"Every file of the bundle except this manifest: path relative to the manifest's directory (\"/\"-separated, no \"..\") to the lower-case hex SHA-256 of its bytes. Written by \"incusx bundle create\"; \"incusx bundle verify\" and a host started from the bundle refuse a bundle whose files differ from this list.","type":"object","propertyNames":{"pattern":"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},"additionalProperties":{"type":"string","pattern":"^[0-9a-f]{64}$"},"tsType":"{ [path: string]: string }"}}};
const pattern0 = new RegExp("^[a-z0-9]+([._-][a-z0-9]+)*$", "u");
const pattern1 = new RegExp("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$", "u");
const pattern2 = new RegExp("^[1-9][0-9]*$", "u");
const pattern4 = new RegExp("^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$", "u");
const pattern6 = new RegExp("^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$", "u");
const pattern7 = new RegExp("^sha512-[A-Za-z0-9+/]{86}==$", "u");
const pattern9 = new RegExp("^[0-9a-f]{64}$", "u");
const func2 = Object.prototype.hasOwnProperty;

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://incusx.dev/schemas/bundle.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.name === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.version === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.apiVersion === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "apiVersion"},message:"must have required property '"+"apiVersion"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data.plugins === undefined){
const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "plugins"},message:"must have required property '"+"plugins"+"'"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "$schema") || (key0 === "name")) || (key0 === "version")) || (key0 === "description")) || (key0 === "apiVersion")) || (key0 === "plugins")) || (key0 === "files"))){
const err4 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.$schema !== undefined){
if(typeof data.$schema !== "string"){
const err5 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.name !== undefined){
let data1 = data.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err6 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$"},message:"must match pattern \""+"^[a-z0-9]+([._-][a-z0-9]+)*$"+"\""};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.version !== undefined){
let data2 = data.version;
if(typeof data2 === "string"){
if(!pattern1.test(data2)){
const err8 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/pattern",keyword:"pattern",params:{pattern: "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"},message:"must match pattern \""+"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"+"\""};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
else {
const err9 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.description !== undefined){
if(typeof data.description !== "string"){
const err10 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.apiVersion !== undefined){
let data4 = data.apiVersion;
if(typeof data4 === "string"){
if(!pattern2.test(data4)){
const err11 = {instancePath:instancePath+"/apiVersion",schemaPath:"#/properties/apiVersion/pattern",keyword:"pattern",params:{pattern: "^[1-9][0-9]*$"},message:"must match pattern \""+"^[1-9][0-9]*$"+"\""};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/apiVersion",schemaPath:"#/properties/apiVersion/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.plugins !== undefined){
let data5 = data.plugins;
if(Array.isArray(data5)){
const len0 = data5.length;
for(let i0=0; i0<len0; i0++){
let data6 = data5[i0];
if(data6 && typeof data6 == "object" && !Array.isArray(data6)){
if(data6.id === undefined){
const err13 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/required",keyword:"required",params:{missingProperty: "id"},message:"must have required property '"+"id"+"'"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(data6.package === undefined){
const err14 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/required",keyword:"required",params:{missingProperty: "package"},message:"must have required property '"+"package"+"'"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if(data6.version === undefined){
const err15 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if(data6.path === undefined){
const err16 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/required",keyword:"required",params:{missingProperty: "path"},message:"must have required property '"+"path"+"'"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
for(const key1 in data6){
if(!(func2.call(schema11.properties.plugins.items.properties, key1))){
const err17 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data6.id !== undefined){
let data7 = data6.id;
if(typeof data7 === "string"){
if(!pattern0.test(data7)){
const err18 = {instancePath:instancePath+"/plugins/" + i0+"/id",schemaPath:"#/properties/plugins/items/properties/id/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$"},message:"must match pattern \""+"^[a-z0-9]+([._-][a-z0-9]+)*$"+"\""};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
else {
const err19 = {instancePath:instancePath+"/plugins/" + i0+"/id",schemaPath:"#/properties/plugins/items/properties/id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data6.package !== undefined){
let data8 = data6.package;
if(typeof data8 === "string"){
if(!pattern4.test(data8)){
const err20 = {instancePath:instancePath+"/plugins/" + i0+"/package",schemaPath:"#/properties/plugins/items/properties/package/pattern",keyword:"pattern",params:{pattern: "^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$"},message:"must match pattern \""+"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$"+"\""};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
else {
const err21 = {instancePath:instancePath+"/plugins/" + i0+"/package",schemaPath:"#/properties/plugins/items/properties/package/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data6.version !== undefined){
let data9 = data6.version;
if(typeof data9 === "string"){
if(!pattern1.test(data9)){
const err22 = {instancePath:instancePath+"/plugins/" + i0+"/version",schemaPath:"#/properties/plugins/items/properties/version/pattern",keyword:"pattern",params:{pattern: "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"},message:"must match pattern \""+"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$"+"\""};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
else {
const err23 = {instancePath:instancePath+"/plugins/" + i0+"/version",schemaPath:"#/properties/plugins/items/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data6.path !== undefined){
let data10 = data6.path;
if(typeof data10 === "string"){
if(!pattern6.test(data10)){
const err24 = {instancePath:instancePath+"/plugins/" + i0+"/path",schemaPath:"#/properties/plugins/items/properties/path/pattern",keyword:"pattern",params:{pattern: "^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},message:"must match pattern \""+"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"+"\""};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
else {
const err25 = {instancePath:instancePath+"/plugins/" + i0+"/path",schemaPath:"#/properties/plugins/items/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data6.integrity !== undefined){
let data11 = data6.integrity;
if(typeof data11 === "string"){
if(!pattern7.test(data11)){
const err26 = {instancePath:instancePath+"/plugins/" + i0+"/integrity",schemaPath:"#/properties/plugins/items/properties/integrity/pattern",keyword:"pattern",params:{pattern: "^sha512-[A-Za-z0-9+/]{86}==$"},message:"must match pattern \""+"^sha512-[A-Za-z0-9+/]{86}==$"+"\""};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
else {
const err27 = {instancePath:instancePath+"/plugins/" + i0+"/integrity",schemaPath:"#/properties/plugins/items/properties/integrity/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data6.enabled !== undefined){
if(typeof data6.enabled !== "boolean"){
const err28 = {instancePath:instancePath+"/plugins/" + i0+"/enabled",schemaPath:"#/properties/plugins/items/properties/enabled/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data6.onFailure !== undefined){
let data13 = data6.onFailure;
if(typeof data13 !== "string"){
const err29 = {instancePath:instancePath+"/plugins/" + i0+"/onFailure",schemaPath:"#/properties/plugins/items/properties/onFailure/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if(!((data13 === "abort") || (data13 === "continue"))){
const err30 = {instancePath:instancePath+"/plugins/" + i0+"/onFailure",schemaPath:"#/properties/plugins/items/properties/onFailure/enum",keyword:"enum",params:{allowedValues: schema11.properties.plugins.items.properties.onFailure.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data6.entry !== undefined){
let data14 = data6.entry;
if(typeof data14 === "string"){
if(!pattern6.test(data14)){
const err31 = {instancePath:instancePath+"/plugins/" + i0+"/entry",schemaPath:"#/properties/plugins/items/properties/entry/pattern",keyword:"pattern",params:{pattern: "^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},message:"must match pattern \""+"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"+"\""};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
else {
const err32 = {instancePath:instancePath+"/plugins/" + i0+"/entry",schemaPath:"#/properties/plugins/items/properties/entry/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data6.manifest !== undefined){
let data15 = data6.manifest;
if(!(data15 && typeof data15 == "object" && !Array.isArray(data15))){
const err33 = {instancePath:instancePath+"/plugins/" + i0+"/manifest",schemaPath:"#/properties/plugins/items/properties/manifest/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data6.sha256 !== undefined){
let data16 = data6.sha256;
if(typeof data16 === "string"){
if(!pattern9.test(data16)){
const err34 = {instancePath:instancePath+"/plugins/" + i0+"/sha256",schemaPath:"#/properties/plugins/items/properties/sha256/pattern",keyword:"pattern",params:{pattern: "^[0-9a-f]{64}$"},message:"must match pattern \""+"^[0-9a-f]{64}$"+"\""};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
else {
const err35 = {instancePath:instancePath+"/plugins/" + i0+"/sha256",schemaPath:"#/properties/plugins/items/properties/sha256/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
}
else {
const err36 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
else {
const err37 = {instancePath:instancePath+"/plugins",schemaPath:"#/properties/plugins/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data.files !== undefined){
let data17 = data.files;
if(data17 && typeof data17 == "object" && !Array.isArray(data17)){
for(const key2 in data17){
const _errs39 = errors;
if(typeof key2 === "string"){
if(!pattern6.test(key2)){
const err38 = {instancePath:instancePath+"/files",schemaPath:"#/properties/files/propertyNames/pattern",keyword:"pattern",params:{pattern: "^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"},message:"must match pattern \""+"^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"+"\"",propertyName:key2};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
var valid4 = _errs39 === errors;
if(!valid4){
const err39 = {instancePath:instancePath+"/files",schemaPath:"#/properties/files/propertyNames",keyword:"propertyNames",params:{propertyName: key2},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
for(const key3 in data17){
let data18 = data17[key3];
if(typeof data18 === "string"){
if(!pattern9.test(data18)){
const err40 = {instancePath:instancePath+"/files/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/files/additionalProperties/pattern",keyword:"pattern",params:{pattern: "^[0-9a-f]{64}$"},message:"must match pattern \""+"^[0-9a-f]{64}$"+"\""};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
else {
const err41 = {instancePath:instancePath+"/files/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/files/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
}
else {
const err42 = {instancePath:instancePath+"/files",schemaPath:"#/properties/files/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
else {
const err43 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

export const validatePluginManifestDocument = validate11;
const schema12 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://incusx.dev/schemas/plugin-manifest.schema.json","title":"PluginManifest","description":"The manifest of an incusx plugin: the \"incusx\" field of the plugin package's package.json. It lets a host list and check a plugin without running it. The plugin's version is not part of the manifest: it is the package.json \"version\" field, the single source of truth that changesets bumps.","type":"object","additionalProperties":false,"required":["id","apiVersions"],"properties":{"id":{"description":"Unique plugin id: lower-case letters and digits in words joined by \".\", \"-\" or \"_\" (\"incusx.dhcpv4\"). Must equal the id given to definePlugin.","type":"string","pattern":"^[a-z0-9]+([._-][a-z0-9]+)*$","examples":["incusx.dhcpv4","example.mtu-limit"]},"description":{"description":"One line saying what the plugin does, shown when plugins are listed.","type":"string"},"apiVersions":{"description":"Plugin API versions (the SDK's API_VERSION) this plugin speaks; the host loads it when it speaks one of them.","type":"array","minItems":1,"uniqueItems":true,"items":{"description":"An API version: a whole number as a string (\"1\").","type":"string","pattern":"^[1-9][0-9]*$"}},"provides":{"description":"Ids of the extension points the plugin contributes to. Known points: \"nic-validator\" (NicValidator), \"dhcp-runner\" (DhcpRunner), \"nat-backend\" (NatBackend), \"dns-sink\" (DnsSink). Other ids in the same form are accepted so manifests can name points added by later SDK versions; the host rejects points it does not know.","type":"array","uniqueItems":true,"default":[],"items":{"description":"An extension point id, such as \"nic-validator\", \"dhcp-runner\", \"nat-backend\" or \"dns-sink\".","type":"string","pattern":"^[a-z0-9]+([._-][a-z0-9]+)*$","examples":["nic-validator","dhcp-runner","nat-backend","dns-sink"],"tsType":"(\"nic-validator\" | \"dhcp-runner\" | \"nat-backend\" | \"dns-sink\" | (string & {}))"}},"requires":{"description":"Ids of plugins that must be loaded and started before this one.","type":"array","uniqueItems":true,"default":[],"items":{"description":"A plugin id.","type":"string","pattern":"^[a-z0-9]+([._-][a-z0-9]+)*$"}},"configSchema":{"description":"JSON Schema (draft-07) of the plugin's config. The host checks each config against it before the plugin registers and fills in the schema's \"default\" values. Without it, the plugin takes any config.","type":"object","tsType":"{ [keyword: string]: unknown }"},"entry":{"description":"Path, relative to the package directory and starting with \"./\", of the module whose default export is the plugin. Default: the module of the package's \".\" export.","type":"string","pattern":"^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$","examples":["./dist/plugin.js"]}}};
const pattern16 = new RegExp("^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$", "u");

function validate11(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://incusx.dev/schemas/plugin-manifest.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.id === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "id"},message:"must have required property '"+"id"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.apiVersions === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "apiVersions"},message:"must have required property '"+"apiVersions"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "id") || (key0 === "description")) || (key0 === "apiVersions")) || (key0 === "provides")) || (key0 === "requires")) || (key0 === "configSchema")) || (key0 === "entry"))){
const err2 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.id !== undefined){
let data0 = data.id;
if(typeof data0 === "string"){
if(!pattern0.test(data0)){
const err3 = {instancePath:instancePath+"/id",schemaPath:"#/properties/id/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$"},message:"must match pattern \""+"^[a-z0-9]+([._-][a-z0-9]+)*$"+"\""};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/id",schemaPath:"#/properties/id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.description !== undefined){
if(typeof data.description !== "string"){
const err5 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.apiVersions !== undefined){
let data2 = data.apiVersions;
if(Array.isArray(data2)){
if(data2.length < 1){
const err6 = {instancePath:instancePath+"/apiVersions",schemaPath:"#/properties/apiVersions/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
let data3 = data2[i0];
if(typeof data3 === "string"){
if(!pattern2.test(data3)){
const err7 = {instancePath:instancePath+"/apiVersions/" + i0,schemaPath:"#/properties/apiVersions/items/pattern",keyword:"pattern",params:{pattern: "^[1-9][0-9]*$"},message:"must match pattern \""+"^[1-9][0-9]*$"+"\""};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
else {
const err8 = {instancePath:instancePath+"/apiVersions/" + i0,schemaPath:"#/properties/apiVersions/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
let i1 = data2.length;
let j0;
if(i1 > 1){
const indices0 = {};
for(;i1--;){
let item0 = data2[i1];
if(typeof item0 !== "string"){
continue;
}
if(typeof indices0[item0] == "number"){
j0 = indices0[item0];
const err9 = {instancePath:instancePath+"/apiVersions",schemaPath:"#/properties/apiVersions/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
break;
}
indices0[item0] = i1;
}
}
}
else {
const err10 = {instancePath:instancePath+"/apiVersions",schemaPath:"#/properties/apiVersions/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.provides !== undefined){
let data4 = data.provides;
if(Array.isArray(data4)){
const len1 = data4.length;
for(let i2=0; i2<len1; i2++){
let data5 = data4[i2];
if(typeof data5 === "string"){
if(!pattern0.test(data5)){
const err11 = {instancePath:instancePath+"/provides/" + i2,schemaPath:"#/properties/provides/items/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$"},message:"must match pattern \""+"^[a-z0-9]+([._-][a-z0-9]+)*$"+"\""};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/provides/" + i2,schemaPath:"#/properties/provides/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
let i3 = data4.length;
let j1;
if(i3 > 1){
const indices1 = {};
for(;i3--;){
let item1 = data4[i3];
if(typeof item1 !== "string"){
continue;
}
if(typeof indices1[item1] == "number"){
j1 = indices1[item1];
const err13 = {instancePath:instancePath+"/provides",schemaPath:"#/properties/provides/uniqueItems",keyword:"uniqueItems",params:{i: i3, j: j1},message:"must NOT have duplicate items (items ## "+j1+" and "+i3+" are identical)"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
break;
}
indices1[item1] = i3;
}
}
}
else {
const err14 = {instancePath:instancePath+"/provides",schemaPath:"#/properties/provides/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.requires !== undefined){
let data6 = data.requires;
if(Array.isArray(data6)){
const len2 = data6.length;
for(let i4=0; i4<len2; i4++){
let data7 = data6[i4];
if(typeof data7 === "string"){
if(!pattern0.test(data7)){
const err15 = {instancePath:instancePath+"/requires/" + i4,schemaPath:"#/properties/requires/items/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$"},message:"must match pattern \""+"^[a-z0-9]+([._-][a-z0-9]+)*$"+"\""};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
else {
const err16 = {instancePath:instancePath+"/requires/" + i4,schemaPath:"#/properties/requires/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
let i5 = data6.length;
let j2;
if(i5 > 1){
const indices2 = {};
for(;i5--;){
let item2 = data6[i5];
if(typeof item2 !== "string"){
continue;
}
if(typeof indices2[item2] == "number"){
j2 = indices2[item2];
const err17 = {instancePath:instancePath+"/requires",schemaPath:"#/properties/requires/uniqueItems",keyword:"uniqueItems",params:{i: i5, j: j2},message:"must NOT have duplicate items (items ## "+j2+" and "+i5+" are identical)"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
break;
}
indices2[item2] = i5;
}
}
}
else {
const err18 = {instancePath:instancePath+"/requires",schemaPath:"#/properties/requires/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.configSchema !== undefined){
let data8 = data.configSchema;
if(!(data8 && typeof data8 == "object" && !Array.isArray(data8))){
const err19 = {instancePath:instancePath+"/configSchema",schemaPath:"#/properties/configSchema/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.entry !== undefined){
let data9 = data.entry;
if(typeof data9 === "string"){
if(!pattern16.test(data9)){
const err20 = {instancePath:instancePath+"/entry",schemaPath:"#/properties/entry/pattern",keyword:"pattern",params:{pattern: "^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$"},message:"must match pattern \""+"^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$"+"\""};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
else {
const err21 = {instancePath:instancePath+"/entry",schemaPath:"#/properties/entry/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
else {
const err22 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
validate11.errors = vErrors;
return errors === 0;
}
