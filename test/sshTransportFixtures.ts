/** What the SSH transport tests share (test/sshTransport.test.ts, .servers.test.ts, .ssh.test.ts). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export function tmpDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
