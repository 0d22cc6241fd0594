/**
 * Shared by the operator-script tests over a real sshd (test/sshOperatorSteps.ssh.test.ts,
 * test/sshOperatorKeys.ssh.test.ts).
 */
import * as fs from "fs";

/** The `type base64` key of a known_hosts line written by test/sshd.ts (`[127.0.0.1]:port type key comment`). */
export function hostKeyOf(knownHostsFile: string): string {
    return fs.readFileSync(knownHostsFile, "utf8").trim().split(/\s+/).slice(1, 3).join(" ");
}
