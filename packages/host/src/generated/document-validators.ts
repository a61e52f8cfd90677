// Generated from schemas/*.schema.json by scripts/gen-validators.mjs (ajv 8.20.0).
// Do not edit: change the schema, then run `pnpm gen:types`.
// @ts-nocheck
/* eslint-disable */
import runtime_ucs2length_module from "ajv/dist/runtime/ucs2length.js";
const runtime_ucs2length = typeof runtime_ucs2length_module === "function" ? { default: runtime_ucs2length_module } : runtime_ucs2length_module;
import runtime_equal_module from "ajv/dist/runtime/equal.js";
const runtime_equal = typeof runtime_equal_module === "function" ? { default: runtime_equal_module } : runtime_equal_module;
export const validateHostConfigDocument = validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://incusx.dev/schemas/host-config.schema.json","title":"HostConfig","description":"The incusx host config file: which plugins to load, with their config and failure policies.","type":"object","additionalProperties":false,"properties":{"$schema":{"description":"URL or path of this schema, for editors. Ignored by the host.","type":"string"},"member":{"description":"The cluster member name this host runs as (Incus's server name). Rows the host writes to stores every member shares (the OVN northbound database's NAT rows) record it, and each member lists, removes and reconciles only its own. Letters, digits, '.', '-' and '_', at most 253 characters. Default: the host name (os.hostname()).","type":"string","minLength":1,"maxLength":253,"pattern":"^[A-Za-z0-9_][A-Za-z0-9._-]*$"},"stateDir":{"description":"Directory for persistent state (leases, DUIDs, owned NAT rules). Relative paths are resolved from the config file's directory.","type":"string","minLength":1},"state":{"title":"HostStateSource","description":"Where the host reads its networks, forwards and NICs. Default: the state file \"network-state.json\" in stateDir when it exists, else nothing.","oneOf":[{"title":"HostStateFileSource","description":"A state file (schemas/host-state.schema.json), re-read when it changes.","type":"object","additionalProperties":false,"required":["type","file"],"properties":{"type":{"description":"\"file\".","const":"file"},"file":{"description":"Path of the state file; relative paths are resolved from the config file's directory.","type":"string","minLength":1}}},{"title":"HostStateIncusSource","description":"A live Incus-compatible server (Incus, LXD) read over its REST API and kept current by its lifecycle events (@incusx/state-incus).","type":"object","additionalProperties":false,"required":["type"],"properties":{"type":{"description":"\"incus\".","const":"incus"},"socket":{"description":"Unix socket of the server. Default: the first that exists of /var/lib/incus/unix.socket, /var/snap/lxd/common/lxd/unix.socket, /var/lib/lxd/unix.socket. Relative paths are resolved from the config file's directory.","type":"string","minLength":1},"url":{"description":"HTTPS address of the server (\"https://incus.example:8443\") instead of a unix socket; needs clientCert and clientKey.","type":"string","pattern":"^https://"},"clientCert":{"description":"PEM file of the client certificate (HTTPS).","type":"string","minLength":1},"clientKey":{"description":"PEM file of the client certificate's key (HTTPS).","type":"string","minLength":1},"serverCert":{"description":"PEM file of the server's certificate or its CA (HTTPS). Default: the system's CAs.","type":"string","minLength":1}}}]},"plugins":{"description":"Plugins to load, in any order: the host orders them by their manifests' \"requires\".","type":"array","default":[],"items":{"title":"HostPluginEntry","description":"One plugin to load and how to treat it.","type":"object","additionalProperties":false,"required":["module"],"properties":{"module":{"description":"Package name (\"@incusx/plugin-dhcpv4\") or path of the package directory (\"./plugins/my-plugin\"); relative paths are resolved from the config file's directory.","type":"string","minLength":1},"config":{"description":"The plugin's config, checked against the config schema in its manifest.","tsType":"unknown"},"onFailure":{"description":"What the host does when this plugin fails to load, register or start: \"abort\" undoes startup, \"continue\" reports the failure and starts the rest. Default: defaults.onFailure.","type":"string","enum":["abort","continue"]},"startTimeoutMs":{"description":"Milliseconds the plugin's start() may take before it counts as hung. Default: defaults.startTimeoutMs.","type":"integer","minimum":1},"stopTimeoutMs":{"description":"Milliseconds the plugin's stop() may take. Default: defaults.stopTimeoutMs.","type":"integer","minimum":1}}}},"bundle":{"description":"Path of a bundle manifest (bundle.schema.json) whose enabled plugins are loaded too. Relative paths are resolved from the config file's directory.","type":"string","minLength":1},"daemon":{"title":"HostDaemonConfig","description":"Settings only `incusx daemon` reads; other hosts ignore them.","type":"object","additionalProperties":false,"properties":{"metricsListen":{"description":"Also serve the Prometheus metrics over plain HTTP at http://HOST:PORT/metrics, without authentication: HOST is an IP address (IPv6 in brackets) or localhost, PORT 0 to 65535, e.g. \"127.0.0.1:9464\" or \"[::1]:9464\". The command line's --metrics-listen wins over it. A reload (SIGHUP) applies a changed, added or removed address. Default: off (metrics only on the API socket's GET /1.0/metrics).","type":"string","minLength":1}}},"defaults":{"title":"HostDefaults","description":"Settings for every plugin entry that does not set them itself.","type":"object","additionalProperties":false,"properties":{"onFailure":{"description":"Default failure policy: \"abort\" or \"continue\". Default: \"continue\", so one failing plugin never stops the others.","type":"string","enum":["abort","continue"]},"startTimeoutMs":{"description":"Default start timeout in milliseconds. Default: 10000.","type":"integer","minimum":1},"stopTimeoutMs":{"description":"Default stop timeout in milliseconds. Default: 10000.","type":"integer","minimum":1}}}}};
const func2 = runtime_ucs2length.default;
const pattern0 = new RegExp("^[A-Za-z0-9_][A-Za-z0-9._-]*$", "u");
const pattern1 = new RegExp("^https://", "u");

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://incusx.dev/schemas/host-config.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((((((((key0 === "$schema") || (key0 === "member")) || (key0 === "stateDir")) || (key0 === "state")) || (key0 === "plugins")) || (key0 === "bundle")) || (key0 === "daemon")) || (key0 === "defaults"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.$schema !== undefined){
if(typeof data.$schema !== "string"){
const err1 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.member !== undefined){
let data1 = data.member;
if(typeof data1 === "string"){
if(func2(data1) > 253){
const err2 = {instancePath:instancePath+"/member",schemaPath:"#/properties/member/maxLength",keyword:"maxLength",params:{limit: 253},message:"must NOT have more than 253 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(func2(data1) < 1){
const err3 = {instancePath:instancePath+"/member",schemaPath:"#/properties/member/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if(!pattern0.test(data1)){
const err4 = {instancePath:instancePath+"/member",schemaPath:"#/properties/member/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_][A-Za-z0-9._-]*$"},message:"must match pattern \""+"^[A-Za-z0-9_][A-Za-z0-9._-]*$"+"\""};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/member",schemaPath:"#/properties/member/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.stateDir !== undefined){
let data2 = data.stateDir;
if(typeof data2 === "string"){
if(func2(data2) < 1){
const err6 = {instancePath:instancePath+"/stateDir",schemaPath:"#/properties/stateDir/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err7 = {instancePath:instancePath+"/stateDir",schemaPath:"#/properties/stateDir/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.state !== undefined){
let data3 = data.state;
const _errs9 = errors;
let valid1 = false;
let passing0 = null;
const _errs10 = errors;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.type === undefined){
const err8 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/0/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if(data3.file === undefined){
const err9 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/0/required",keyword:"required",params:{missingProperty: "file"},message:"must have required property '"+"file"+"'"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
for(const key1 in data3){
if(!((key1 === "type") || (key1 === "file"))){
const err10 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/0/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.type !== undefined){
if("file" !== data3.type){
const err11 = {instancePath:instancePath+"/state/type",schemaPath:"#/properties/state/oneOf/0/properties/type/const",keyword:"const",params:{allowedValue: "file"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data3.file !== undefined){
let data5 = data3.file;
if(typeof data5 === "string"){
if(func2(data5) < 1){
const err12 = {instancePath:instancePath+"/state/file",schemaPath:"#/properties/state/oneOf/0/properties/file/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/state/file",schemaPath:"#/properties/state/oneOf/0/properties/file/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
}
else {
const err14 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/0/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
var _valid0 = _errs10 === errors;
if(_valid0){
valid1 = true;
passing0 = 0;
}
const _errs16 = errors;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.type === undefined){
const err15 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/1/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
for(const key2 in data3){
if(!((((((key2 === "type") || (key2 === "socket")) || (key2 === "url")) || (key2 === "clientCert")) || (key2 === "clientKey")) || (key2 === "serverCert"))){
const err16 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data3.type !== undefined){
if("incus" !== data3.type){
const err17 = {instancePath:instancePath+"/state/type",schemaPath:"#/properties/state/oneOf/1/properties/type/const",keyword:"const",params:{allowedValue: "incus"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data3.socket !== undefined){
let data7 = data3.socket;
if(typeof data7 === "string"){
if(func2(data7) < 1){
const err18 = {instancePath:instancePath+"/state/socket",schemaPath:"#/properties/state/oneOf/1/properties/socket/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err19 = {instancePath:instancePath+"/state/socket",schemaPath:"#/properties/state/oneOf/1/properties/socket/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data3.url !== undefined){
let data8 = data3.url;
if(typeof data8 === "string"){
if(!pattern1.test(data8)){
const err20 = {instancePath:instancePath+"/state/url",schemaPath:"#/properties/state/oneOf/1/properties/url/pattern",keyword:"pattern",params:{pattern: "^https://"},message:"must match pattern \""+"^https://"+"\""};
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
const err21 = {instancePath:instancePath+"/state/url",schemaPath:"#/properties/state/oneOf/1/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data3.clientCert !== undefined){
let data9 = data3.clientCert;
if(typeof data9 === "string"){
if(func2(data9) < 1){
const err22 = {instancePath:instancePath+"/state/clientCert",schemaPath:"#/properties/state/oneOf/1/properties/clientCert/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err23 = {instancePath:instancePath+"/state/clientCert",schemaPath:"#/properties/state/oneOf/1/properties/clientCert/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data3.clientKey !== undefined){
let data10 = data3.clientKey;
if(typeof data10 === "string"){
if(func2(data10) < 1){
const err24 = {instancePath:instancePath+"/state/clientKey",schemaPath:"#/properties/state/oneOf/1/properties/clientKey/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err25 = {instancePath:instancePath+"/state/clientKey",schemaPath:"#/properties/state/oneOf/1/properties/clientKey/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data3.serverCert !== undefined){
let data11 = data3.serverCert;
if(typeof data11 === "string"){
if(func2(data11) < 1){
const err26 = {instancePath:instancePath+"/state/serverCert",schemaPath:"#/properties/state/oneOf/1/properties/serverCert/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err27 = {instancePath:instancePath+"/state/serverCert",schemaPath:"#/properties/state/oneOf/1/properties/serverCert/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
}
else {
const err28 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf/1/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
var _valid0 = _errs16 === errors;
if(_valid0 && valid1){
valid1 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid1 = true;
passing0 = 1;
}
}
if(!valid1){
const err29 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
else {
errors = _errs9;
if(vErrors !== null){
if(_errs9){
vErrors.length = _errs9;
}
else {
vErrors = null;
}
}
}
}
if(data.plugins !== undefined){
let data12 = data.plugins;
if(Array.isArray(data12)){
const len0 = data12.length;
for(let i0=0; i0<len0; i0++){
let data13 = data12[i0];
if(data13 && typeof data13 == "object" && !Array.isArray(data13)){
if(data13.module === undefined){
const err30 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/required",keyword:"required",params:{missingProperty: "module"},message:"must have required property '"+"module"+"'"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
for(const key3 in data13){
if(!(((((key3 === "module") || (key3 === "config")) || (key3 === "onFailure")) || (key3 === "startTimeoutMs")) || (key3 === "stopTimeoutMs"))){
const err31 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
if(data13.module !== undefined){
let data14 = data13.module;
if(typeof data14 === "string"){
if(func2(data14) < 1){
const err32 = {instancePath:instancePath+"/plugins/" + i0+"/module",schemaPath:"#/properties/plugins/items/properties/module/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
else {
const err33 = {instancePath:instancePath+"/plugins/" + i0+"/module",schemaPath:"#/properties/plugins/items/properties/module/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data13.onFailure !== undefined){
let data15 = data13.onFailure;
if(typeof data15 !== "string"){
const err34 = {instancePath:instancePath+"/plugins/" + i0+"/onFailure",schemaPath:"#/properties/plugins/items/properties/onFailure/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
if(!((data15 === "abort") || (data15 === "continue"))){
const err35 = {instancePath:instancePath+"/plugins/" + i0+"/onFailure",schemaPath:"#/properties/plugins/items/properties/onFailure/enum",keyword:"enum",params:{allowedValues: schema11.properties.plugins.items.properties.onFailure.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data13.startTimeoutMs !== undefined){
let data16 = data13.startTimeoutMs;
if(!(((typeof data16 == "number") && (!(data16 % 1) && !isNaN(data16))) && (isFinite(data16)))){
const err36 = {instancePath:instancePath+"/plugins/" + i0+"/startTimeoutMs",schemaPath:"#/properties/plugins/items/properties/startTimeoutMs/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
if((typeof data16 == "number") && (isFinite(data16))){
if(data16 < 1 || isNaN(data16)){
const err37 = {instancePath:instancePath+"/plugins/" + i0+"/startTimeoutMs",schemaPath:"#/properties/plugins/items/properties/startTimeoutMs/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
}
if(data13.stopTimeoutMs !== undefined){
let data17 = data13.stopTimeoutMs;
if(!(((typeof data17 == "number") && (!(data17 % 1) && !isNaN(data17))) && (isFinite(data17)))){
const err38 = {instancePath:instancePath+"/plugins/" + i0+"/stopTimeoutMs",schemaPath:"#/properties/plugins/items/properties/stopTimeoutMs/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
if((typeof data17 == "number") && (isFinite(data17))){
if(data17 < 1 || isNaN(data17)){
const err39 = {instancePath:instancePath+"/plugins/" + i0+"/stopTimeoutMs",schemaPath:"#/properties/plugins/items/properties/stopTimeoutMs/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
}
else {
const err40 = {instancePath:instancePath+"/plugins/" + i0,schemaPath:"#/properties/plugins/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
}
else {
const err41 = {instancePath:instancePath+"/plugins",schemaPath:"#/properties/plugins/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
if(data.bundle !== undefined){
let data18 = data.bundle;
if(typeof data18 === "string"){
if(func2(data18) < 1){
const err42 = {instancePath:instancePath+"/bundle",schemaPath:"#/properties/bundle/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
else {
const err43 = {instancePath:instancePath+"/bundle",schemaPath:"#/properties/bundle/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(data.daemon !== undefined){
let data19 = data.daemon;
if(data19 && typeof data19 == "object" && !Array.isArray(data19)){
for(const key4 in data19){
if(!(key4 === "metricsListen")){
const err44 = {instancePath:instancePath+"/daemon",schemaPath:"#/properties/daemon/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
if(data19.metricsListen !== undefined){
let data20 = data19.metricsListen;
if(typeof data20 === "string"){
if(func2(data20) < 1){
const err45 = {instancePath:instancePath+"/daemon/metricsListen",schemaPath:"#/properties/daemon/properties/metricsListen/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
else {
const err46 = {instancePath:instancePath+"/daemon/metricsListen",schemaPath:"#/properties/daemon/properties/metricsListen/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
else {
const err47 = {instancePath:instancePath+"/daemon",schemaPath:"#/properties/daemon/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data.defaults !== undefined){
let data21 = data.defaults;
if(data21 && typeof data21 == "object" && !Array.isArray(data21)){
for(const key5 in data21){
if(!(((key5 === "onFailure") || (key5 === "startTimeoutMs")) || (key5 === "stopTimeoutMs"))){
const err48 = {instancePath:instancePath+"/defaults",schemaPath:"#/properties/defaults/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
if(data21.onFailure !== undefined){
let data22 = data21.onFailure;
if(typeof data22 !== "string"){
const err49 = {instancePath:instancePath+"/defaults/onFailure",schemaPath:"#/properties/defaults/properties/onFailure/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
if(!((data22 === "abort") || (data22 === "continue"))){
const err50 = {instancePath:instancePath+"/defaults/onFailure",schemaPath:"#/properties/defaults/properties/onFailure/enum",keyword:"enum",params:{allowedValues: schema11.properties.defaults.properties.onFailure.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data21.startTimeoutMs !== undefined){
let data23 = data21.startTimeoutMs;
if(!(((typeof data23 == "number") && (!(data23 % 1) && !isNaN(data23))) && (isFinite(data23)))){
const err51 = {instancePath:instancePath+"/defaults/startTimeoutMs",schemaPath:"#/properties/defaults/properties/startTimeoutMs/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
if((typeof data23 == "number") && (isFinite(data23))){
if(data23 < 1 || isNaN(data23)){
const err52 = {instancePath:instancePath+"/defaults/startTimeoutMs",schemaPath:"#/properties/defaults/properties/startTimeoutMs/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
}
if(data21.stopTimeoutMs !== undefined){
let data24 = data21.stopTimeoutMs;
if(!(((typeof data24 == "number") && (!(data24 % 1) && !isNaN(data24))) && (isFinite(data24)))){
const err53 = {instancePath:instancePath+"/defaults/stopTimeoutMs",schemaPath:"#/properties/defaults/properties/stopTimeoutMs/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
if((typeof data24 == "number") && (isFinite(data24))){
if(data24 < 1 || isNaN(data24)){
const err54 = {instancePath:instancePath+"/defaults/stopTimeoutMs",schemaPath:"#/properties/defaults/properties/stopTimeoutMs/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
}
}
else {
const err55 = {instancePath:instancePath+"/defaults",schemaPath:"#/properties/defaults/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
}
else {
const err56 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

export const validateHostStateDocument = validate11;
const schema12 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://incusx.dev/schemas/host-state.schema.json","title":"HostState","description":"The host's network state file (network-state.json): networks with their forwards and load balancers, and instances with their devices, shaped as Incus's API returns them.","type":"object","additionalProperties":false,"properties":{"$schema":{"description":"URL or path of this schema, for editors. Ignored by the host.","type":"string"},"networks":{"description":"Every network the host knows. Names are unique.","type":"array","default":[],"items":{"title":"HostStateNetwork","description":"One network, as `incus network show` prints it, plus the OVN logical router of an `ovn` network.","type":"object","additionalProperties":false,"required":["name","type"],"properties":{"name":{"description":"Network name (\"ovn0\"), as instance devices name it in \"network\".","type":"string","minLength":1},"type":{"description":"Network type: \"ovn\", \"bridge\", \"macvlan\", \"sriov\" or \"physical\". A NIC device naming this network gets its NIC type from it (ovn -> ovn, bridge -> bridged, others the same).","type":"string","minLength":1},"description":{"description":"Free text.","type":"string"},"project":{"description":"Incus project the network belongs to, as the server said (informational: `incusx state dump` writes it). A network of a project other than \"default\" is named \"PROJECT_NAME\" here, as Incus names it on the host.","type":"string","minLength":1},"config":{"description":"Incus network config (\"ipv4.address\": \"10.0.0.1/24\", \"network\": \"UPLINK\", ...). Values are strings, as in Incus.","type":"object","default":{},"additionalProperties":{"type":"string"}},"ovn_router":{"description":"Name of the network's OVN logical router in the northbound database (\"incus-net1-lr\"). Required for \"ovn\" networks.","type":"string","minLength":1},"id":{"description":"Incus's network ID (its database's networks.id): Incus names the network's OVN objects after it (\"incus-net<id>-lr\", NIC ports \"incus-net<id>-instance-<instance UUID>-<device>\"). Optional: when absent it is read from an \"ovn_router\" of the form \"incus-net<id>-lr\".","type":"integer","minimum":0},"forwards":{"description":"Network forwards of this network. Listen addresses are unique per network (compared as addresses, so \"2001:db8::9\" and \"2001:DB8:0::9\" are the same).","type":"array","default":[],"items":{"title":"HostStateForward","description":"One network forward, as `incus network forward show` prints it.","type":"object","additionalProperties":false,"required":["listen_address"],"properties":{"listen_address":{"description":"The forward's listen address (an IPv4 or IPv6 address without prefix).","type":"string","minLength":1},"description":{"description":"Free text.","type":"string"},"config":{"description":"Incus forward config (\"target_address\": default target).","type":"object","additionalProperties":{"type":"string"}},"ports":{"description":"Port forwards; optional.","type":"array","items":{"title":"HostStateForwardPort","description":"One port forward of a network forward.","type":"object","additionalProperties":false,"required":["protocol","listen_port","target_address"],"properties":{"protocol":{"description":"\"tcp\" or \"udp\".","type":"string","enum":["tcp","udp"]},"listen_port":{"description":"Port or ranges (\"80\", \"8000-8010,9000\").","type":"string","minLength":1},"target_address":{"description":"Address traffic goes to.","type":"string","minLength":1},"target_port":{"description":"Target port or ranges; default: the listen port.","type":"string"},"description":{"description":"Free text.","type":"string"}}}}}}},"load_balancers":{"description":"Network load balancers of this network. Their listen addresses are NOT forwards: a NIC cannot use one as its external address.","type":"array","default":[],"items":{"title":"HostStateLoadBalancer","description":"One network load balancer, as `incus network load-balancer show` prints it.","type":"object","additionalProperties":false,"required":["listen_address"],"properties":{"listen_address":{"description":"The load balancer's listen address.","type":"string","minLength":1},"description":{"description":"Free text.","type":"string"},"config":{"description":"Incus load balancer config.","type":"object","additionalProperties":{"type":"string"}},"backends":{"description":"Backends: named targets the ports send traffic to. Names are unique per load balancer.","type":"array","items":{"title":"HostStateLoadBalancerBackend","description":"One backend of a network load balancer.","type":"object","additionalProperties":false,"required":["name","target_address"],"properties":{"name":{"description":"Backend name (\"c1-http\"), as ports name it in \"target_backend\".","type":"string","minLength":1},"description":{"description":"Free text.","type":"string"},"target_address":{"description":"Address traffic goes to (an IPv4 or IPv6 address without prefix).","type":"string","minLength":1},"target_port":{"description":"Target port or ranges (\"80,8080-8090\"); default: the listen port.","type":"string"}}}},"ports":{"description":"Ports: listen ports and the backends they balance over.","type":"array","items":{"title":"HostStateLoadBalancerPort","description":"One port of a network load balancer.","type":"object","additionalProperties":false,"required":["protocol","listen_port"],"properties":{"description":{"description":"Free text.","type":"string"},"protocol":{"description":"\"tcp\" or \"udp\".","type":"string","enum":["tcp","udp"]},"listen_port":{"description":"Port or ranges (\"80\", \"8000-8010,9000\").","type":"string","minLength":1},"target_backend":{"description":"Names of the backends (of this load balancer) traffic is balanced over.","type":"array","items":{"type":"string","minLength":1}}}}}}}}}}},"instances":{"description":"Every instance the host knows, with its devices. Names are unique.","type":"array","default":[],"items":{"title":"HostStateInstance","description":"One instance (container or VM) and its expanded devices.","type":"object","additionalProperties":false,"required":["name"],"properties":{"name":{"description":"Instance name (\"c1\"). An instance of a project other than \"default\" is named \"PROJECT_NAME\", as Incus names it on the host.","type":"string","minLength":1},"project":{"description":"Incus project the instance belongs to (informational: `incusx state dump` writes it).","type":"string","minLength":1},"location":{"description":"Cluster member the instance runs on (Incus's instance \"location\"); absent when the server is not clustered. NICs of the instance carry it, so member-scoped NAT acts only on its own member's instances.","type":"string","minLength":1},"config":{"description":"Instance config, as in `incus config show`. Only \"volatile.uuid\" is read: Incus names the instance's OVN NIC ports after it (\"incus-net<network ID>-instance-<volatile.uuid>-<device>\"). Values are strings, as in Incus.","type":"object","default":{},"additionalProperties":{"type":"string"}},"devices":{"description":"Devices by name, as in `incus config show --expanded`: each a string map with a \"type\". Devices of type \"nic\" are the instance's NICs; others are kept and ignored.","type":"object","default":{},"additionalProperties":{"title":"HostStateDevice","description":"One device's config map (\"type\": \"nic\", \"network\": \"ovn0\", \"ipv4.address.external\": ...). A NIC's type is \"nictype\" when set, else derived from the type of the network it names.","type":"object","required":["type"],"properties":{"type":{"description":"Device type (\"nic\", \"disk\", ...).","type":"string","minLength":1}},"additionalProperties":{"type":"string"}}}}}}}};
const func13 = Object.prototype.hasOwnProperty;

function validate11(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://incusx.dev/schemas/host-state.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((key0 === "$schema") || (key0 === "networks")) || (key0 === "instances"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.$schema !== undefined){
if(typeof data.$schema !== "string"){
const err1 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.networks !== undefined){
let data1 = data.networks;
if(Array.isArray(data1)){
const len0 = data1.length;
for(let i0=0; i0<len0; i0++){
let data2 = data1[i0];
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
if(data2.name === undefined){
const err2 = {instancePath:instancePath+"/networks/" + i0,schemaPath:"#/properties/networks/items/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data2.type === undefined){
const err3 = {instancePath:instancePath+"/networks/" + i0,schemaPath:"#/properties/networks/items/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key1 in data2){
if(!(func13.call(schema12.properties.networks.items.properties, key1))){
const err4 = {instancePath:instancePath+"/networks/" + i0,schemaPath:"#/properties/networks/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data2.name !== undefined){
let data3 = data2.name;
if(typeof data3 === "string"){
if(func2(data3) < 1){
const err5 = {instancePath:instancePath+"/networks/" + i0+"/name",schemaPath:"#/properties/networks/items/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/networks/" + i0+"/name",schemaPath:"#/properties/networks/items/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data2.type !== undefined){
let data4 = data2.type;
if(typeof data4 === "string"){
if(func2(data4) < 1){
const err7 = {instancePath:instancePath+"/networks/" + i0+"/type",schemaPath:"#/properties/networks/items/properties/type/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err8 = {instancePath:instancePath+"/networks/" + i0+"/type",schemaPath:"#/properties/networks/items/properties/type/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data2.description !== undefined){
if(typeof data2.description !== "string"){
const err9 = {instancePath:instancePath+"/networks/" + i0+"/description",schemaPath:"#/properties/networks/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data2.project !== undefined){
let data6 = data2.project;
if(typeof data6 === "string"){
if(func2(data6) < 1){
const err10 = {instancePath:instancePath+"/networks/" + i0+"/project",schemaPath:"#/properties/networks/items/properties/project/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/networks/" + i0+"/project",schemaPath:"#/properties/networks/items/properties/project/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data2.config !== undefined){
let data7 = data2.config;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
for(const key2 in data7){
if(typeof data7[key2] !== "string"){
const err12 = {instancePath:instancePath+"/networks/" + i0+"/config/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/networks/items/properties/config/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
else {
const err13 = {instancePath:instancePath+"/networks/" + i0+"/config",schemaPath:"#/properties/networks/items/properties/config/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data2.ovn_router !== undefined){
let data9 = data2.ovn_router;
if(typeof data9 === "string"){
if(func2(data9) < 1){
const err14 = {instancePath:instancePath+"/networks/" + i0+"/ovn_router",schemaPath:"#/properties/networks/items/properties/ovn_router/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/networks/" + i0+"/ovn_router",schemaPath:"#/properties/networks/items/properties/ovn_router/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data2.id !== undefined){
let data10 = data2.id;
if(!(((typeof data10 == "number") && (!(data10 % 1) && !isNaN(data10))) && (isFinite(data10)))){
const err16 = {instancePath:instancePath+"/networks/" + i0+"/id",schemaPath:"#/properties/networks/items/properties/id/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if((typeof data10 == "number") && (isFinite(data10))){
if(data10 < 0 || isNaN(data10)){
const err17 = {instancePath:instancePath+"/networks/" + i0+"/id",schemaPath:"#/properties/networks/items/properties/id/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
}
if(data2.forwards !== undefined){
let data11 = data2.forwards;
if(Array.isArray(data11)){
const len1 = data11.length;
for(let i1=0; i1<len1; i1++){
let data12 = data11[i1];
if(data12 && typeof data12 == "object" && !Array.isArray(data12)){
if(data12.listen_address === undefined){
const err18 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1,schemaPath:"#/properties/networks/items/properties/forwards/items/required",keyword:"required",params:{missingProperty: "listen_address"},message:"must have required property '"+"listen_address"+"'"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
for(const key3 in data12){
if(!((((key3 === "listen_address") || (key3 === "description")) || (key3 === "config")) || (key3 === "ports"))){
const err19 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1,schemaPath:"#/properties/networks/items/properties/forwards/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data12.listen_address !== undefined){
let data13 = data12.listen_address;
if(typeof data13 === "string"){
if(func2(data13) < 1){
const err20 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/listen_address",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/listen_address/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err21 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/listen_address",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/listen_address/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data12.description !== undefined){
if(typeof data12.description !== "string"){
const err22 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/description",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data12.config !== undefined){
let data15 = data12.config;
if(data15 && typeof data15 == "object" && !Array.isArray(data15)){
for(const key4 in data15){
if(typeof data15[key4] !== "string"){
const err23 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/config/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/networks/items/properties/forwards/items/properties/config/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/config",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/config/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data12.ports !== undefined){
let data17 = data12.ports;
if(Array.isArray(data17)){
const len2 = data17.length;
for(let i2=0; i2<len2; i2++){
let data18 = data17[i2];
if(data18 && typeof data18 == "object" && !Array.isArray(data18)){
if(data18.protocol === undefined){
const err25 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2,schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/required",keyword:"required",params:{missingProperty: "protocol"},message:"must have required property '"+"protocol"+"'"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
if(data18.listen_port === undefined){
const err26 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2,schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/required",keyword:"required",params:{missingProperty: "listen_port"},message:"must have required property '"+"listen_port"+"'"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
if(data18.target_address === undefined){
const err27 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2,schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/required",keyword:"required",params:{missingProperty: "target_address"},message:"must have required property '"+"target_address"+"'"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
for(const key5 in data18){
if(!(((((key5 === "protocol") || (key5 === "listen_port")) || (key5 === "target_address")) || (key5 === "target_port")) || (key5 === "description"))){
const err28 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2,schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data18.protocol !== undefined){
let data19 = data18.protocol;
if(typeof data19 !== "string"){
const err29 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/protocol",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/protocol/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if(!((data19 === "tcp") || (data19 === "udp"))){
const err30 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/protocol",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/protocol/enum",keyword:"enum",params:{allowedValues: schema12.properties.networks.items.properties.forwards.items.properties.ports.items.properties.protocol.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data18.listen_port !== undefined){
let data20 = data18.listen_port;
if(typeof data20 === "string"){
if(func2(data20) < 1){
const err31 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/listen_port",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/listen_port/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err32 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/listen_port",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/listen_port/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data18.target_address !== undefined){
let data21 = data18.target_address;
if(typeof data21 === "string"){
if(func2(data21) < 1){
const err33 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/target_address",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/target_address/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
else {
const err34 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/target_address",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/target_address/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
if(data18.target_port !== undefined){
if(typeof data18.target_port !== "string"){
const err35 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/target_port",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/target_port/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data18.description !== undefined){
if(typeof data18.description !== "string"){
const err36 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2+"/description",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
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
const err37 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports/" + i2,schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
}
else {
const err38 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1+"/ports",schemaPath:"#/properties/networks/items/properties/forwards/items/properties/ports/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
}
else {
const err39 = {instancePath:instancePath+"/networks/" + i0+"/forwards/" + i1,schemaPath:"#/properties/networks/items/properties/forwards/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
else {
const err40 = {instancePath:instancePath+"/networks/" + i0+"/forwards",schemaPath:"#/properties/networks/items/properties/forwards/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
if(data2.load_balancers !== undefined){
let data24 = data2.load_balancers;
if(Array.isArray(data24)){
const len3 = data24.length;
for(let i3=0; i3<len3; i3++){
let data25 = data24[i3];
if(data25 && typeof data25 == "object" && !Array.isArray(data25)){
if(data25.listen_address === undefined){
const err41 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3,schemaPath:"#/properties/networks/items/properties/load_balancers/items/required",keyword:"required",params:{missingProperty: "listen_address"},message:"must have required property '"+"listen_address"+"'"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
for(const key6 in data25){
if(!(((((key6 === "listen_address") || (key6 === "description")) || (key6 === "config")) || (key6 === "backends")) || (key6 === "ports"))){
const err42 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3,schemaPath:"#/properties/networks/items/properties/load_balancers/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key6},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
if(data25.listen_address !== undefined){
let data26 = data25.listen_address;
if(typeof data26 === "string"){
if(func2(data26) < 1){
const err43 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/listen_address",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/listen_address/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
else {
const err44 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/listen_address",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/listen_address/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
if(data25.description !== undefined){
if(typeof data25.description !== "string"){
const err45 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/description",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(data25.config !== undefined){
let data28 = data25.config;
if(data28 && typeof data28 == "object" && !Array.isArray(data28)){
for(const key7 in data28){
if(typeof data28[key7] !== "string"){
const err46 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/config/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/config/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
else {
const err47 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/config",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/config/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data25.backends !== undefined){
let data30 = data25.backends;
if(Array.isArray(data30)){
const len4 = data30.length;
for(let i4=0; i4<len4; i4++){
let data31 = data30[i4];
if(data31 && typeof data31 == "object" && !Array.isArray(data31)){
if(data31.name === undefined){
const err48 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
if(data31.target_address === undefined){
const err49 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/required",keyword:"required",params:{missingProperty: "target_address"},message:"must have required property '"+"target_address"+"'"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
for(const key8 in data31){
if(!((((key8 === "name") || (key8 === "description")) || (key8 === "target_address")) || (key8 === "target_port"))){
const err50 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key8},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data31.name !== undefined){
let data32 = data31.name;
if(typeof data32 === "string"){
if(func2(data32) < 1){
const err51 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/name",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
}
else {
const err52 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/name",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
if(data31.description !== undefined){
if(typeof data31.description !== "string"){
const err53 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/description",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
if(data31.target_address !== undefined){
let data34 = data31.target_address;
if(typeof data34 === "string"){
if(func2(data34) < 1){
const err54 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/target_address",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/target_address/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
else {
const err55 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/target_address",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/target_address/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
if(data31.target_port !== undefined){
if(typeof data31.target_port !== "string"){
const err56 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4+"/target_port",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/properties/target_port/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
}
else {
const err57 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends/" + i4,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
}
else {
const err58 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/backends",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/backends/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
if(data25.ports !== undefined){
let data36 = data25.ports;
if(Array.isArray(data36)){
const len5 = data36.length;
for(let i5=0; i5<len5; i5++){
let data37 = data36[i5];
if(data37 && typeof data37 == "object" && !Array.isArray(data37)){
if(data37.protocol === undefined){
const err59 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/required",keyword:"required",params:{missingProperty: "protocol"},message:"must have required property '"+"protocol"+"'"};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
if(data37.listen_port === undefined){
const err60 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/required",keyword:"required",params:{missingProperty: "listen_port"},message:"must have required property '"+"listen_port"+"'"};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
for(const key9 in data37){
if(!((((key9 === "description") || (key9 === "protocol")) || (key9 === "listen_port")) || (key9 === "target_backend"))){
const err61 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key9},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
}
if(data37.description !== undefined){
if(typeof data37.description !== "string"){
const err62 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/description",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
if(data37.protocol !== undefined){
let data39 = data37.protocol;
if(typeof data39 !== "string"){
const err63 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/protocol",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/protocol/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
if(!((data39 === "tcp") || (data39 === "udp"))){
const err64 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/protocol",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/protocol/enum",keyword:"enum",params:{allowedValues: schema12.properties.networks.items.properties.load_balancers.items.properties.ports.items.properties.protocol.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
}
if(data37.listen_port !== undefined){
let data40 = data37.listen_port;
if(typeof data40 === "string"){
if(func2(data40) < 1){
const err65 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/listen_port",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/listen_port/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
}
else {
const err66 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/listen_port",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/listen_port/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
if(data37.target_backend !== undefined){
let data41 = data37.target_backend;
if(Array.isArray(data41)){
const len6 = data41.length;
for(let i6=0; i6<len6; i6++){
let data42 = data41[i6];
if(typeof data42 === "string"){
if(func2(data42) < 1){
const err67 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/target_backend/" + i6,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/target_backend/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
}
else {
const err68 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/target_backend/" + i6,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/target_backend/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
}
else {
const err69 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5+"/target_backend",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/properties/target_backend/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
}
}
else {
const err70 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports/" + i5,schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
}
else {
const err71 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3+"/ports",schemaPath:"#/properties/networks/items/properties/load_balancers/items/properties/ports/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
}
else {
const err72 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers/" + i3,schemaPath:"#/properties/networks/items/properties/load_balancers/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
}
}
else {
const err73 = {instancePath:instancePath+"/networks/" + i0+"/load_balancers",schemaPath:"#/properties/networks/items/properties/load_balancers/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
}
}
else {
const err74 = {instancePath:instancePath+"/networks/" + i0,schemaPath:"#/properties/networks/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
}
}
else {
const err75 = {instancePath:instancePath+"/networks",schemaPath:"#/properties/networks/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
if(data.instances !== undefined){
let data43 = data.instances;
if(Array.isArray(data43)){
const len7 = data43.length;
for(let i7=0; i7<len7; i7++){
let data44 = data43[i7];
if(data44 && typeof data44 == "object" && !Array.isArray(data44)){
if(data44.name === undefined){
const err76 = {instancePath:instancePath+"/instances/" + i7,schemaPath:"#/properties/instances/items/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
for(const key10 in data44){
if(!(((((key10 === "name") || (key10 === "project")) || (key10 === "location")) || (key10 === "config")) || (key10 === "devices"))){
const err77 = {instancePath:instancePath+"/instances/" + i7,schemaPath:"#/properties/instances/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key10},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
}
if(data44.name !== undefined){
let data45 = data44.name;
if(typeof data45 === "string"){
if(func2(data45) < 1){
const err78 = {instancePath:instancePath+"/instances/" + i7+"/name",schemaPath:"#/properties/instances/items/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err78];
}
else {
vErrors.push(err78);
}
errors++;
}
}
else {
const err79 = {instancePath:instancePath+"/instances/" + i7+"/name",schemaPath:"#/properties/instances/items/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err79];
}
else {
vErrors.push(err79);
}
errors++;
}
}
if(data44.project !== undefined){
let data46 = data44.project;
if(typeof data46 === "string"){
if(func2(data46) < 1){
const err80 = {instancePath:instancePath+"/instances/" + i7+"/project",schemaPath:"#/properties/instances/items/properties/project/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err80];
}
else {
vErrors.push(err80);
}
errors++;
}
}
else {
const err81 = {instancePath:instancePath+"/instances/" + i7+"/project",schemaPath:"#/properties/instances/items/properties/project/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err81];
}
else {
vErrors.push(err81);
}
errors++;
}
}
if(data44.location !== undefined){
let data47 = data44.location;
if(typeof data47 === "string"){
if(func2(data47) < 1){
const err82 = {instancePath:instancePath+"/instances/" + i7+"/location",schemaPath:"#/properties/instances/items/properties/location/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err82];
}
else {
vErrors.push(err82);
}
errors++;
}
}
else {
const err83 = {instancePath:instancePath+"/instances/" + i7+"/location",schemaPath:"#/properties/instances/items/properties/location/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err83];
}
else {
vErrors.push(err83);
}
errors++;
}
}
if(data44.config !== undefined){
let data48 = data44.config;
if(data48 && typeof data48 == "object" && !Array.isArray(data48)){
for(const key11 in data48){
if(typeof data48[key11] !== "string"){
const err84 = {instancePath:instancePath+"/instances/" + i7+"/config/" + key11.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/instances/items/properties/config/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err84];
}
else {
vErrors.push(err84);
}
errors++;
}
}
}
else {
const err85 = {instancePath:instancePath+"/instances/" + i7+"/config",schemaPath:"#/properties/instances/items/properties/config/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err85];
}
else {
vErrors.push(err85);
}
errors++;
}
}
if(data44.devices !== undefined){
let data50 = data44.devices;
if(data50 && typeof data50 == "object" && !Array.isArray(data50)){
for(const key12 in data50){
let data51 = data50[key12];
if(data51 && typeof data51 == "object" && !Array.isArray(data51)){
if(data51.type === undefined){
const err86 = {instancePath:instancePath+"/instances/" + i7+"/devices/" + key12.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/instances/items/properties/devices/additionalProperties/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'"};
if(vErrors === null){
vErrors = [err86];
}
else {
vErrors.push(err86);
}
errors++;
}
for(const key13 in data51){
if(!(key13 === "type")){
if(typeof data51[key13] !== "string"){
const err87 = {instancePath:instancePath+"/instances/" + i7+"/devices/" + key12.replace(/~/g, "~0").replace(/\//g, "~1")+"/" + key13.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/instances/items/properties/devices/additionalProperties/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err87];
}
else {
vErrors.push(err87);
}
errors++;
}
}
}
if(data51.type !== undefined){
let data53 = data51.type;
if(typeof data53 === "string"){
if(func2(data53) < 1){
const err88 = {instancePath:instancePath+"/instances/" + i7+"/devices/" + key12.replace(/~/g, "~0").replace(/\//g, "~1")+"/type",schemaPath:"#/properties/instances/items/properties/devices/additionalProperties/properties/type/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err88];
}
else {
vErrors.push(err88);
}
errors++;
}
}
else {
const err89 = {instancePath:instancePath+"/instances/" + i7+"/devices/" + key12.replace(/~/g, "~0").replace(/\//g, "~1")+"/type",schemaPath:"#/properties/instances/items/properties/devices/additionalProperties/properties/type/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err89];
}
else {
vErrors.push(err89);
}
errors++;
}
}
}
else {
const err90 = {instancePath:instancePath+"/instances/" + i7+"/devices/" + key12.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/instances/items/properties/devices/additionalProperties/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err90];
}
else {
vErrors.push(err90);
}
errors++;
}
}
}
else {
const err91 = {instancePath:instancePath+"/instances/" + i7+"/devices",schemaPath:"#/properties/instances/items/properties/devices/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err91];
}
else {
vErrors.push(err91);
}
errors++;
}
}
}
else {
const err92 = {instancePath:instancePath+"/instances/" + i7,schemaPath:"#/properties/instances/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err92];
}
else {
vErrors.push(err92);
}
errors++;
}
}
}
else {
const err93 = {instancePath:instancePath+"/instances",schemaPath:"#/properties/instances/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err93];
}
else {
vErrors.push(err93);
}
errors++;
}
}
}
else {
const err94 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err94];
}
else {
vErrors.push(err94);
}
errors++;
}
validate11.errors = vErrors;
return errors === 0;
}

export const validateJsonSchemaDraft07 = validate0;
const schema0 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"http://json-schema.org/draft-07/schema#","title":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}},"type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference"},"$schema":{"type":"string","format":"uri"},"$ref":{"type":"string","format":"uri-reference"},"$comment":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"default":true,"readOnly":{"type":"boolean","default":false},"examples":{"type":"array","items":true},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/definitions/nonNegativeInteger"},"minLength":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"$ref":"#"},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":true},"maxItems":{"$ref":"#/definitions/nonNegativeInteger"},"minItems":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"contains":{"$ref":"#"},"maxProperties":{"$ref":"#/definitions/nonNegativeInteger"},"minProperties":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"$ref":"#"},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"propertyNames":{"format":"regex"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"propertyNames":{"$ref":"#"},"const":true,"enum":{"type":"array","items":true,"minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"contentMediaType":{"type":"string"},"contentEncoding":{"type":"string"},"if":{"$ref":"#"},"then":{"$ref":"#"},"else":{"$ref":"#"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"default":true};
const schema1 = {"type":"integer","minimum":0};
const schema7 = {"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]};
const schema9 = {"enum":["array","boolean","integer","null","number","object","string"]};
const schema2 = {"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]};

function validate1(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data)))){
const err0 = {instancePath,schemaPath:"#/definitions/nonNegativeInteger/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data < 0 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/definitions/nonNegativeInteger/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
validate1.errors = vErrors;
return errors === 0;
}

const schema4 = {"type":"array","minItems":1,"items":{"$ref":"#"}};
const root0 = {validate: validate0};

function validate3(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
if(data.length < 1){
const err0 = {instancePath,schemaPath:"#/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
if(!(root0.validate(data[i0], {instancePath:instancePath+"/" + i0,parentData:data,parentDataProperty:i0,rootData}))){
vErrors = vErrors === null ? root0.validate.errors : vErrors.concat(root0.validate.errors);
errors = vErrors.length;
}
}
}
else {
const err1 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
validate3.errors = vErrors;
return errors === 0;
}

const func0 = runtime_equal.default;

function validate0(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="http://json-schema.org/draft-07/schema#" */;
let vErrors = null;
let errors = 0;
if((!(data && typeof data == "object" && !Array.isArray(data))) && (typeof data !== "boolean")){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema0.type},message:"must be object,boolean"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.$id !== undefined){
if(!(typeof data.$id === "string")){
const err1 = {instancePath:instancePath+"/$id",schemaPath:"#/properties/%24id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.$schema !== undefined){
if(!(typeof data.$schema === "string")){
const err2 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.$ref !== undefined){
if(!(typeof data.$ref === "string")){
const err3 = {instancePath:instancePath+"/$ref",schemaPath:"#/properties/%24ref/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.$comment !== undefined){
if(typeof data.$comment !== "string"){
const err4 = {instancePath:instancePath+"/$comment",schemaPath:"#/properties/%24comment/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.title !== undefined){
if(typeof data.title !== "string"){
const err5 = {instancePath:instancePath+"/title",schemaPath:"#/properties/title/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.description !== undefined){
if(typeof data.description !== "string"){
const err6 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.readOnly !== undefined){
if(typeof data.readOnly !== "boolean"){
const err7 = {instancePath:instancePath+"/readOnly",schemaPath:"#/properties/readOnly/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.examples !== undefined){
if(!(Array.isArray(data.examples))){
const err8 = {instancePath:instancePath+"/examples",schemaPath:"#/properties/examples/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.multipleOf !== undefined){
let data8 = data.multipleOf;
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 <= 0 || isNaN(data8)){
const err9 = {instancePath:instancePath+"/multipleOf",schemaPath:"#/properties/multipleOf/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
else {
const err10 = {instancePath:instancePath+"/multipleOf",schemaPath:"#/properties/multipleOf/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.maximum !== undefined){
let data9 = data.maximum;
if(!((typeof data9 == "number") && (isFinite(data9)))){
const err11 = {instancePath:instancePath+"/maximum",schemaPath:"#/properties/maximum/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.exclusiveMaximum !== undefined){
let data10 = data.exclusiveMaximum;
if(!((typeof data10 == "number") && (isFinite(data10)))){
const err12 = {instancePath:instancePath+"/exclusiveMaximum",schemaPath:"#/properties/exclusiveMaximum/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.minimum !== undefined){
let data11 = data.minimum;
if(!((typeof data11 == "number") && (isFinite(data11)))){
const err13 = {instancePath:instancePath+"/minimum",schemaPath:"#/properties/minimum/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.exclusiveMinimum !== undefined){
let data12 = data.exclusiveMinimum;
if(!((typeof data12 == "number") && (isFinite(data12)))){
const err14 = {instancePath:instancePath+"/exclusiveMinimum",schemaPath:"#/properties/exclusiveMinimum/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.maxLength !== undefined){
let data13 = data.maxLength;
if(!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))){
const err15 = {instancePath:instancePath+"/maxLength",schemaPath:"#/definitions/nonNegativeInteger/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 < 0 || isNaN(data13)){
const err16 = {instancePath:instancePath+"/maxLength",schemaPath:"#/definitions/nonNegativeInteger/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
if(data.minLength !== undefined){
if(!(validate1(data.minLength, {instancePath:instancePath+"/minLength",parentData:data,parentDataProperty:"minLength",rootData}))){
vErrors = vErrors === null ? validate1.errors : vErrors.concat(validate1.errors);
errors = vErrors.length;
}
}
if(data.pattern !== undefined){
if(!(typeof data.pattern === "string")){
const err17 = {instancePath:instancePath+"/pattern",schemaPath:"#/properties/pattern/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.additionalItems !== undefined){
if(!(validate0(data.additionalItems, {instancePath:instancePath+"/additionalItems",parentData:data,parentDataProperty:"additionalItems",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.items !== undefined){
let data17 = data.items;
const _errs35 = errors;
let valid2 = false;
const _errs36 = errors;
if(!(validate0(data17, {instancePath:instancePath+"/items",parentData:data,parentDataProperty:"items",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
var _valid0 = _errs36 === errors;
valid2 = valid2 || _valid0;
if(!valid2){
const _errs37 = errors;
if(!(validate3(data17, {instancePath:instancePath+"/items",parentData:data,parentDataProperty:"items",rootData}))){
vErrors = vErrors === null ? validate3.errors : vErrors.concat(validate3.errors);
errors = vErrors.length;
}
var _valid0 = _errs37 === errors;
valid2 = valid2 || _valid0;
}
if(!valid2){
const err18 = {instancePath:instancePath+"/items",schemaPath:"#/properties/items/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
else {
errors = _errs35;
if(vErrors !== null){
if(_errs35){
vErrors.length = _errs35;
}
else {
vErrors = null;
}
}
}
}
if(data.maxItems !== undefined){
let data18 = data.maxItems;
if(!(((typeof data18 == "number") && (!(data18 % 1) && !isNaN(data18))) && (isFinite(data18)))){
const err19 = {instancePath:instancePath+"/maxItems",schemaPath:"#/definitions/nonNegativeInteger/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if((typeof data18 == "number") && (isFinite(data18))){
if(data18 < 0 || isNaN(data18)){
const err20 = {instancePath:instancePath+"/maxItems",schemaPath:"#/definitions/nonNegativeInteger/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
}
if(data.minItems !== undefined){
if(!(validate1(data.minItems, {instancePath:instancePath+"/minItems",parentData:data,parentDataProperty:"minItems",rootData}))){
vErrors = vErrors === null ? validate1.errors : vErrors.concat(validate1.errors);
errors = vErrors.length;
}
}
if(data.uniqueItems !== undefined){
if(typeof data.uniqueItems !== "boolean"){
const err21 = {instancePath:instancePath+"/uniqueItems",schemaPath:"#/properties/uniqueItems/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data.contains !== undefined){
if(!(validate0(data.contains, {instancePath:instancePath+"/contains",parentData:data,parentDataProperty:"contains",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.maxProperties !== undefined){
let data22 = data.maxProperties;
if(!(((typeof data22 == "number") && (!(data22 % 1) && !isNaN(data22))) && (isFinite(data22)))){
const err22 = {instancePath:instancePath+"/maxProperties",schemaPath:"#/definitions/nonNegativeInteger/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
if((typeof data22 == "number") && (isFinite(data22))){
if(data22 < 0 || isNaN(data22)){
const err23 = {instancePath:instancePath+"/maxProperties",schemaPath:"#/definitions/nonNegativeInteger/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
if(data.minProperties !== undefined){
if(!(validate1(data.minProperties, {instancePath:instancePath+"/minProperties",parentData:data,parentDataProperty:"minProperties",rootData}))){
vErrors = vErrors === null ? validate1.errors : vErrors.concat(validate1.errors);
errors = vErrors.length;
}
}
if(data.required !== undefined){
let data24 = data.required;
if(Array.isArray(data24)){
const len0 = data24.length;
for(let i0=0; i0<len0; i0++){
if(typeof data24[i0] !== "string"){
const err24 = {instancePath:instancePath+"/required/" + i0,schemaPath:"#/definitions/stringArray/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
let i1 = data24.length;
let j0;
if(i1 > 1){
const indices0 = {};
for(;i1--;){
let item0 = data24[i1];
if(typeof item0 !== "string"){
continue;
}
if(typeof indices0[item0] == "number"){
j0 = indices0[item0];
const err25 = {instancePath:instancePath+"/required",schemaPath:"#/definitions/stringArray/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
break;
}
indices0[item0] = i1;
}
}
}
else {
const err26 = {instancePath:instancePath+"/required",schemaPath:"#/definitions/stringArray/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data.additionalProperties !== undefined){
if(!(validate0(data.additionalProperties, {instancePath:instancePath+"/additionalProperties",parentData:data,parentDataProperty:"additionalProperties",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.definitions !== undefined){
let data27 = data.definitions;
if(data27 && typeof data27 == "object" && !Array.isArray(data27)){
for(const key0 in data27){
if(!(validate0(data27[key0], {instancePath:instancePath+"/definitions/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data27,parentDataProperty:key0,rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
}
else {
const err27 = {instancePath:instancePath+"/definitions",schemaPath:"#/properties/definitions/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data.properties !== undefined){
let data29 = data.properties;
if(data29 && typeof data29 == "object" && !Array.isArray(data29)){
for(const key1 in data29){
if(!(validate0(data29[key1], {instancePath:instancePath+"/properties/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data29,parentDataProperty:key1,rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
}
else {
const err28 = {instancePath:instancePath+"/properties",schemaPath:"#/properties/properties/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.patternProperties !== undefined){
let data31 = data.patternProperties;
if(data31 && typeof data31 == "object" && !Array.isArray(data31)){
for(const key2 in data31){
const _errs65 = errors;
var valid11 = _errs65 === errors;
if(!valid11){
const err29 = {instancePath:instancePath+"/patternProperties",schemaPath:"#/properties/patternProperties/propertyNames",keyword:"propertyNames",params:{propertyName: key2},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
for(const key3 in data31){
if(!(validate0(data31[key3], {instancePath:instancePath+"/patternProperties/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data31,parentDataProperty:key3,rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
}
else {
const err30 = {instancePath:instancePath+"/patternProperties",schemaPath:"#/properties/patternProperties/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data.dependencies !== undefined){
let data33 = data.dependencies;
if(data33 && typeof data33 == "object" && !Array.isArray(data33)){
for(const key4 in data33){
let data34 = data33[key4];
const _errs72 = errors;
let valid14 = false;
const _errs73 = errors;
if(!(validate0(data34, {instancePath:instancePath+"/dependencies/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data33,parentDataProperty:key4,rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
var _valid1 = _errs73 === errors;
valid14 = valid14 || _valid1;
if(!valid14){
const _errs74 = errors;
if(Array.isArray(data34)){
const len1 = data34.length;
for(let i2=0; i2<len1; i2++){
if(typeof data34[i2] !== "string"){
const err31 = {instancePath:instancePath+"/dependencies/" + key4.replace(/~/g, "~0").replace(/\//g, "~1")+"/" + i2,schemaPath:"#/definitions/stringArray/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
let i3 = data34.length;
let j1;
if(i3 > 1){
const indices1 = {};
for(;i3--;){
let item1 = data34[i3];
if(typeof item1 !== "string"){
continue;
}
if(typeof indices1[item1] == "number"){
j1 = indices1[item1];
const err32 = {instancePath:instancePath+"/dependencies/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/stringArray/uniqueItems",keyword:"uniqueItems",params:{i: i3, j: j1},message:"must NOT have duplicate items (items ## "+j1+" and "+i3+" are identical)"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
break;
}
indices1[item1] = i3;
}
}
}
else {
const err33 = {instancePath:instancePath+"/dependencies/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/stringArray/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
var _valid1 = _errs74 === errors;
valid14 = valid14 || _valid1;
}
if(!valid14){
const err34 = {instancePath:instancePath+"/dependencies/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/dependencies/additionalProperties/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
else {
errors = _errs72;
if(vErrors !== null){
if(_errs72){
vErrors.length = _errs72;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err35 = {instancePath:instancePath+"/dependencies",schemaPath:"#/properties/dependencies/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data.propertyNames !== undefined){
if(!(validate0(data.propertyNames, {instancePath:instancePath+"/propertyNames",parentData:data,parentDataProperty:"propertyNames",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.enum !== undefined){
let data37 = data.enum;
if(Array.isArray(data37)){
if(data37.length < 1){
const err36 = {instancePath:instancePath+"/enum",schemaPath:"#/properties/enum/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
let i4 = data37.length;
let j2;
if(i4 > 1){
outer0:
for(;i4--;){
for(j2 = i4; j2--;){
if(func0(data37[i4], data37[j2])){
const err37 = {instancePath:instancePath+"/enum",schemaPath:"#/properties/enum/uniqueItems",keyword:"uniqueItems",params:{i: i4, j: j2},message:"must NOT have duplicate items (items ## "+j2+" and "+i4+" are identical)"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
break outer0;
}
}
}
}
}
else {
const err38 = {instancePath:instancePath+"/enum",schemaPath:"#/properties/enum/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(data.type !== undefined){
let data38 = data.type;
const _errs83 = errors;
let valid20 = false;
const _errs84 = errors;
if(!(((((((data38 === "array") || (data38 === "boolean")) || (data38 === "integer")) || (data38 === "null")) || (data38 === "number")) || (data38 === "object")) || (data38 === "string"))){
const err39 = {instancePath:instancePath+"/type",schemaPath:"#/definitions/simpleTypes/enum",keyword:"enum",params:{allowedValues: schema9.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
var _valid2 = _errs84 === errors;
valid20 = valid20 || _valid2;
if(!valid20){
const _errs86 = errors;
if(Array.isArray(data38)){
if(data38.length < 1){
const err40 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/anyOf/1/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
const len2 = data38.length;
for(let i5=0; i5<len2; i5++){
let data39 = data38[i5];
if(!(((((((data39 === "array") || (data39 === "boolean")) || (data39 === "integer")) || (data39 === "null")) || (data39 === "number")) || (data39 === "object")) || (data39 === "string"))){
const err41 = {instancePath:instancePath+"/type/" + i5,schemaPath:"#/definitions/simpleTypes/enum",keyword:"enum",params:{allowedValues: schema9.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
let i6 = data38.length;
let j3;
if(i6 > 1){
outer1:
for(;i6--;){
for(j3 = i6; j3--;){
if(func0(data38[i6], data38[j3])){
const err42 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/anyOf/1/uniqueItems",keyword:"uniqueItems",params:{i: i6, j: j3},message:"must NOT have duplicate items (items ## "+j3+" and "+i6+" are identical)"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
break outer1;
}
}
}
}
}
else {
const err43 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/anyOf/1/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
var _valid2 = _errs86 === errors;
valid20 = valid20 || _valid2;
}
if(!valid20){
const err44 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
else {
errors = _errs83;
if(vErrors !== null){
if(_errs83){
vErrors.length = _errs83;
}
else {
vErrors = null;
}
}
}
}
if(data.format !== undefined){
if(typeof data.format !== "string"){
const err45 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(data.contentMediaType !== undefined){
if(typeof data.contentMediaType !== "string"){
const err46 = {instancePath:instancePath+"/contentMediaType",schemaPath:"#/properties/contentMediaType/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
if(data.contentEncoding !== undefined){
if(typeof data.contentEncoding !== "string"){
const err47 = {instancePath:instancePath+"/contentEncoding",schemaPath:"#/properties/contentEncoding/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data.if !== undefined){
if(!(validate0(data.if, {instancePath:instancePath+"/if",parentData:data,parentDataProperty:"if",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.then !== undefined){
if(!(validate0(data.then, {instancePath:instancePath+"/then",parentData:data,parentDataProperty:"then",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.else !== undefined){
if(!(validate0(data.else, {instancePath:instancePath+"/else",parentData:data,parentDataProperty:"else",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
if(data.allOf !== undefined){
if(!(validate3(data.allOf, {instancePath:instancePath+"/allOf",parentData:data,parentDataProperty:"allOf",rootData}))){
vErrors = vErrors === null ? validate3.errors : vErrors.concat(validate3.errors);
errors = vErrors.length;
}
}
if(data.anyOf !== undefined){
if(!(validate3(data.anyOf, {instancePath:instancePath+"/anyOf",parentData:data,parentDataProperty:"anyOf",rootData}))){
vErrors = vErrors === null ? validate3.errors : vErrors.concat(validate3.errors);
errors = vErrors.length;
}
}
if(data.oneOf !== undefined){
if(!(validate3(data.oneOf, {instancePath:instancePath+"/oneOf",parentData:data,parentDataProperty:"oneOf",rootData}))){
vErrors = vErrors === null ? validate3.errors : vErrors.concat(validate3.errors);
errors = vErrors.length;
}
}
if(data.not !== undefined){
if(!(validate0(data.not, {instancePath:instancePath+"/not",parentData:data,parentDataProperty:"not",rootData}))){
vErrors = vErrors === null ? validate0.errors : vErrors.concat(validate0.errors);
errors = vErrors.length;
}
}
}
validate0.errors = vErrors;
return errors === 0;
}
