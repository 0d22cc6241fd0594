/**
 * The stand-in image for the real-engine tests: nothing can be pulled here, so
 * every container runs this image instead of its pinned one. It is Debian's
 * statically linked BusyBox (package busybox-static) with its applets, the
 * users the program names, and stubs of `pg_dump` and `pg_restore` so the
 * rendered backup script runs end to end without a database.
 *
 * Like Alpine's baselayout, /var/spool/cron/crontabs points at /etc/crontabs,
 * where the program puts the backup service's crontab for the postgres Alpine
 * image's BusyBox crond.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import { buildImage, engine, tarOf } from "./engineApi";

export const BUSYBOX = "/bin/busybox";

const DOCKERFILE = `FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /etc/crontabs /var/spool/cron /usr/local/bin && chmod 1777 /tmp && ln -s /etc/crontabs /var/spool/cron/crontabs
CMD ["/bin/sh"]
`;

const PASSWD = `root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
grafana:x:472:0:grafana:/usr/share/grafana:/bin/false
`;

const GROUP = `root:x:0:
nobody:x:65534:
postgres:x:70:
node:x:1000:
`;

/** Writes an archive of what `--file` names, so the backup script's checks and renames run for real. */
const PG_DUMP_STUB = `#!/bin/sh
# Stand-in for pg_dump: writes a small archive to --file.
out=
while [ $# -gt 0 ]; do case "$1" in --file) out=$2; shift 2;; --file=*) out=\${1#--file=}; shift;; *) shift;; esac; done
[ -n "$out" ] || { echo "pg_dump stub: no --file" >&2; exit 2; }
printf 'PGDMP stand-in\\n' > "$out"
`;

const PG_RESTORE_STUB = `#!/bin/sh
# Stand-in for pg_restore: accepts what the pg_dump stub wrote, refuses anything else.
for last; do :; done
head -c 5 "$last" | grep -q PGDMP
`;

function contextTar(): Promise<Buffer> {
    return tarOf([
        { name: "Dockerfile", content: DOCKERFILE, mode: 0o644 },
        { name: "rootfs/bin/busybox", content: fs.readFileSync(BUSYBOX), mode: 0o755 },
        { name: "rootfs/etc/passwd", content: PASSWD, mode: 0o644 },
        { name: "rootfs/etc/group", content: GROUP, mode: 0o644 },
        { name: "rootfs/usr/bin/pg_dump", content: PG_DUMP_STUB, mode: 0o755 },
        { name: "rootfs/usr/bin/pg_restore", content: PG_RESTORE_STUB, mode: 0o755 },
    ]);
}

/** Builds the stand-in image once per daemon and content (the tag is a hash of what goes in); answers its ID. */
export async function standinImage(): Promise<string> {
    if (!fs.existsSync(BUSYBOX))
        throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (.ci/run does)`);
    const hash = createHash("sha256")
        .update(DOCKERFILE + PASSWD + GROUP + PG_DUMP_STUB + PG_RESTORE_STUB)
        .update(fs.readFileSync(BUSYBOX))
        .digest("hex")
        .slice(0, 12);
    const tag = `freshtrack-standin:${hash}`;
    const existing = await engine<{ Id?: string } | string | undefined>(
        "GET",
        `/images/${encodeURIComponent(tag)}/json`,
        undefined,
        { allow: [404] },
    );
    if (typeof existing === "object" && existing?.Id) return existing.Id;
    return buildImage(tag, await contextTar());
}
