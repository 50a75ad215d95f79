import { md5Hex } from "../util/md5.js";

/** The platform's signature: md5(appKey + timestamp + appSecret), 32 lowercase hex. Used for callbacks and the token request. */
export function signCallback(appKey: string, timestamp: string | number, appSecret: string): string {
  return md5Hex(`${appKey}${timestamp}${appSecret}`);
}
