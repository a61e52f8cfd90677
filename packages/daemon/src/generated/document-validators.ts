// Generated from schemas/*.schema.json by scripts/gen-validators.mjs (ajv 8.20.0).
// Do not edit: change the schema, then run `pnpm gen:types`.
// @ts-nocheck
/* eslint-disable */
import runtime_ucs2length_module from "ajv/dist/runtime/ucs2length.js";
const runtime_ucs2length = typeof runtime_ucs2length_module === "function" ? { default: runtime_ucs2length_module } : runtime_ucs2length_module;
export const validateNicAttachDocument = validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://incusx.dev/schemas/daemon-nic-attach.schema.json","title":"DaemonNicAttach","description":"The body of `POST /1.0/nics` on the `incusx daemon` API: one NIC of one instance for the daemon's network runtime to configure by DHCP inside its network namespace.","type":"object","additionalProperties":false,"required":["instance","device","netns","interface"],"properties":{"instance":{"description":"Instance (container) name; with `device`, names the NIC in the API (`/1.0/nics/INSTANCE/DEVICE`).","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},"device":{"description":"Device name of the NIC in the instance's config (`eth0`, `net1`).","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},"netns":{"description":"The NIC's network namespace: an absolute path (`/run/netns/NAME`, `/proc/PID/ns/net`) or a name under /run/netns. The daemon holds it open by fd while the NIC is attached.","type":"string","minLength":1,"maxLength":4096,"pattern":"^(/[^\\u0000]*|[^/\\u0000]+)$"},"interface":{"description":"Interface to configure, as named inside the namespace.","type":"string","pattern":"^[^\\s/:]{1,15}$"},"families":{"description":"Families to configure; default every family a loaded runner serves.","type":"array","minItems":1,"uniqueItems":true,"items":{"type":"string","enum":["ipv4","ipv6"]}},"hostname":{"description":"Hostname the runners announce to the DHCP servers.","type":"string","pattern":"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"},"resolv_conf":{"title":"DaemonNicResolvConf","description":"The container's resolv.conf to keep up to date from this NIC's leases (merged with the other NICs naming the same one): `path` inside the container's root directory `root`.","type":"object","additionalProperties":false,"required":["root"],"properties":{"root":{"description":"Absolute host path of the container's root directory (`/proc/PID/root` or the rootfs).","type":"string","minLength":1,"maxLength":4096,"pattern":"^/"},"path":{"description":"Absolute path inside `root`; default `/etc/resolv.conf`.","type":"string","minLength":1,"maxLength":4096,"pattern":"^/"}}},"release_on_stop":{"description":"Release the leases (and remove the addresses) when the NIC is detached, unless the detach says otherwise. Default false: a detached or stopped daemon leaves the addresses to their lifetimes.","type":"boolean"},"optimistic_dad":{"description":"Turn on optimistic DAD (RFC 4429) on the interface before the runners start, so DHCPv6 leaves from an optimistic link-local address at once; takes effect when attached before the link is up. Default false.","type":"boolean"}}};
const func2 = Object.prototype.hasOwnProperty;
const func3 = runtime_ucs2length.default;
const pattern0 = new RegExp("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", "u");
const pattern1 = new RegExp("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "u");
const pattern2 = new RegExp("^(/[^\\u0000]*|[^/\\u0000]+)$", "u");
const pattern3 = new RegExp("^[^\\s/:]{1,15}$", "u");
const pattern4 = new RegExp("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", "u");
const pattern5 = new RegExp("^/", "u");

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://incusx.dev/schemas/daemon-nic-attach.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.instance === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "instance"},message:"must have required property '"+"instance"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.device === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "device"},message:"must have required property '"+"device"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.netns === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "netns"},message:"must have required property '"+"netns"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data.interface === undefined){
const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "interface"},message:"must have required property '"+"interface"+"'"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key0 in data){
if(!(func2.call(schema11.properties, key0))){
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
if(data.instance !== undefined){
let data0 = data.instance;
if(typeof data0 === "string"){
if(!pattern0.test(data0)){
const err5 = {instancePath:instancePath+"/instance",schemaPath:"#/properties/instance/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"+"\""};
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
const err6 = {instancePath:instancePath+"/instance",schemaPath:"#/properties/instance/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.device !== undefined){
let data1 = data.device;
if(typeof data1 === "string"){
if(!pattern1.test(data1)){
const err7 = {instancePath:instancePath+"/device",schemaPath:"#/properties/device/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"+"\""};
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
const err8 = {instancePath:instancePath+"/device",schemaPath:"#/properties/device/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.netns !== undefined){
let data2 = data.netns;
if(typeof data2 === "string"){
if(func3(data2) > 4096){
const err9 = {instancePath:instancePath+"/netns",schemaPath:"#/properties/netns/maxLength",keyword:"maxLength",params:{limit: 4096},message:"must NOT have more than 4096 characters"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
if(func3(data2) < 1){
const err10 = {instancePath:instancePath+"/netns",schemaPath:"#/properties/netns/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if(!pattern2.test(data2)){
const err11 = {instancePath:instancePath+"/netns",schemaPath:"#/properties/netns/pattern",keyword:"pattern",params:{pattern: "^(/[^\\u0000]*|[^/\\u0000]+)$"},message:"must match pattern \""+"^(/[^\\u0000]*|[^/\\u0000]+)$"+"\""};
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
const err12 = {instancePath:instancePath+"/netns",schemaPath:"#/properties/netns/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.interface !== undefined){
let data3 = data.interface;
if(typeof data3 === "string"){
if(!pattern3.test(data3)){
const err13 = {instancePath:instancePath+"/interface",schemaPath:"#/properties/interface/pattern",keyword:"pattern",params:{pattern: "^[^\\s/:]{1,15}$"},message:"must match pattern \""+"^[^\\s/:]{1,15}$"+"\""};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
else {
const err14 = {instancePath:instancePath+"/interface",schemaPath:"#/properties/interface/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.families !== undefined){
let data4 = data.families;
if(Array.isArray(data4)){
if(data4.length < 1){
const err15 = {instancePath:instancePath+"/families",schemaPath:"#/properties/families/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
const len0 = data4.length;
for(let i0=0; i0<len0; i0++){
let data5 = data4[i0];
if(typeof data5 !== "string"){
const err16 = {instancePath:instancePath+"/families/" + i0,schemaPath:"#/properties/families/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(!((data5 === "ipv4") || (data5 === "ipv6"))){
const err17 = {instancePath:instancePath+"/families/" + i0,schemaPath:"#/properties/families/items/enum",keyword:"enum",params:{allowedValues: schema11.properties.families.items.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
let i1 = data4.length;
let j0;
if(i1 > 1){
const indices0 = {};
for(;i1--;){
let item0 = data4[i1];
if(typeof item0 !== "string"){
continue;
}
if(typeof indices0[item0] == "number"){
j0 = indices0[item0];
const err18 = {instancePath:instancePath+"/families",schemaPath:"#/properties/families/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
break;
}
indices0[item0] = i1;
}
}
}
else {
const err19 = {instancePath:instancePath+"/families",schemaPath:"#/properties/families/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.hostname !== undefined){
let data6 = data.hostname;
if(typeof data6 === "string"){
if(!pattern4.test(data6)){
const err20 = {instancePath:instancePath+"/hostname",schemaPath:"#/properties/hostname/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"},message:"must match pattern \""+"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"+"\""};
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
const err21 = {instancePath:instancePath+"/hostname",schemaPath:"#/properties/hostname/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data.resolv_conf !== undefined){
let data7 = data.resolv_conf;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
if(data7.root === undefined){
const err22 = {instancePath:instancePath+"/resolv_conf",schemaPath:"#/properties/resolv_conf/required",keyword:"required",params:{missingProperty: "root"},message:"must have required property '"+"root"+"'"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
for(const key1 in data7){
if(!((key1 === "root") || (key1 === "path"))){
const err23 = {instancePath:instancePath+"/resolv_conf",schemaPath:"#/properties/resolv_conf/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data7.root !== undefined){
let data8 = data7.root;
if(typeof data8 === "string"){
if(func3(data8) > 4096){
const err24 = {instancePath:instancePath+"/resolv_conf/root",schemaPath:"#/properties/resolv_conf/properties/root/maxLength",keyword:"maxLength",params:{limit: 4096},message:"must NOT have more than 4096 characters"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
if(func3(data8) < 1){
const err25 = {instancePath:instancePath+"/resolv_conf/root",schemaPath:"#/properties/resolv_conf/properties/root/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
if(!pattern5.test(data8)){
const err26 = {instancePath:instancePath+"/resolv_conf/root",schemaPath:"#/properties/resolv_conf/properties/root/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
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
const err27 = {instancePath:instancePath+"/resolv_conf/root",schemaPath:"#/properties/resolv_conf/properties/root/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data7.path !== undefined){
let data9 = data7.path;
if(typeof data9 === "string"){
if(func3(data9) > 4096){
const err28 = {instancePath:instancePath+"/resolv_conf/path",schemaPath:"#/properties/resolv_conf/properties/path/maxLength",keyword:"maxLength",params:{limit: 4096},message:"must NOT have more than 4096 characters"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
if(func3(data9) < 1){
const err29 = {instancePath:instancePath+"/resolv_conf/path",schemaPath:"#/properties/resolv_conf/properties/path/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if(!pattern5.test(data9)){
const err30 = {instancePath:instancePath+"/resolv_conf/path",schemaPath:"#/properties/resolv_conf/properties/path/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
else {
const err31 = {instancePath:instancePath+"/resolv_conf/path",schemaPath:"#/properties/resolv_conf/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
else {
const err32 = {instancePath:instancePath+"/resolv_conf",schemaPath:"#/properties/resolv_conf/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.release_on_stop !== undefined){
if(typeof data.release_on_stop !== "boolean"){
const err33 = {instancePath:instancePath+"/release_on_stop",schemaPath:"#/properties/release_on_stop/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data.optimistic_dad !== undefined){
if(typeof data.optimistic_dad !== "boolean"){
const err34 = {instancePath:instancePath+"/optimistic_dad",schemaPath:"#/properties/optimistic_dad/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
}
else {
const err35 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}
