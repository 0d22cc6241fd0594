/**
 * The backup mirrors' loop (renderMirrorLoop) and its settings: every few minutes, an append-only `mc mirror` pass of
 * each copy, each fully successful pass recorded for the health check and the BackupMirrorStale alert. The containers
 * that run it are built in backup.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    MIRROR_METRIC,
    MIRROR_STARTED_METRIC,
    mirrorMetricFiles,
    mirrorMetricTemplate,
    MirrorName,
} from "./backupScripts";
import { SECRETS_DIR } from "./context";

/** Seconds between two passes of a backup mirror. */
export const SYNC_INTERVAL_SECONDS = 300;
/**
 * A file modified more recently than this may still be being written (a CSV export, a manifest): the
 * pass leaves it to the next one, since an append-only copy of a half-written file could never be
 * corrected. Dumps in progress are `*.partial` and never copied at all.
 */
export const SYNC_MIN_AGE = "2m";
export const MC_DIR = `${SECRETS_DIR}/mc`;
export const OFFSITE_KEY_FILE = `${MC_DIR}/offsite-sse-c.key`;

/**
 * The offsite store as the Backup reads it: config's `backup.offsite`, with the SSE-C key the copies are
 * encrypted with (32 bytes as 64 hex digits, a secret the operator keeps: freshtrack:backupOffsiteEncryptionKey).
 */
export interface OffsiteStore {
    readonly endpoint: string;
    readonly bucket: string;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly encryptionKey: pulumi.Input<string>;
}

/**
 * How old a mirror's last fully successful pass may be before its container is unhealthy, and how long a new
 * container is healthy without one. Passes start SYNC_INTERVAL_SECONDS after the previous one ended, so two failed
 * passes in a row are tolerated and the third turns the container unhealthy; the margin is for the passes' own
 * duration (a large first copy of the uploads bucket takes longer, and the container is then unhealthy until it
 * ends, which is the truth: nothing is safe offsite yet). The first pass starts at once, so the same span is the
 * grace of a new container.
 */
export const MIRROR_STALE_PASSES = 3;
export const MIRROR_PASS_MARGIN_SECONDS = 600;
export const MIRROR_HEALTH_LIMITS = {
    staleSeconds: MIRROR_STALE_PASSES * SYNC_INTERVAL_SECONDS + MIRROR_PASS_MARGIN_SECONDS,
    graceSeconds: MIRROR_STALE_PASSES * SYNC_INTERVAL_SECONDS + MIRROR_PASS_MARGIN_SECONDS,
} as const;

/**
 * One `mc mirror` of a pass: a directory in the container or an `alias/bucket[/prefix]`, to an `alias/bucket/prefix`.
 */
export interface MirrorCopy {
    readonly source: string;
    readonly target: string;
    /** `--exclude` patterns (mc matches them against the object name). */
    readonly exclude?: readonly string[];
}

/** What one mirror container does (renderMirrorLoop). */
export interface MirrorLoop {
    readonly name: MirrorName;
    /** Each pass runs every copy, in this order; a pass is successful when all of them are. */
    readonly copies: readonly MirrorCopy[];
    /**
     * SSE-C for the copies: the file that holds the key, and the `alias/bucket/` it covers, which must hold every
     * copy's target (mc picks an object's key by the longest matching prefix and refuses a key whose prefix no argument
     * of the command matches: minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/encryption-methods.go:52-70,116-118, and
     * :136-148).
     */
    readonly sse?: { readonly keyFile: string; readonly scope: string };
    /** node-exporter's textfile directory, where each fully successful pass is recorded. */
    readonly textfileDir: string;
}

/**
 * The command of a backup mirror: every SYNC_INTERVAL_SECONDS, one pass of `mc mirror` per copy, each copying
 * what the target lacks and nothing else. Not `--watch`: in watch mode mc removes on the target every file
 * removed at the source, `--remove` or not (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:754,
 * watch events from cmd/watch.go:116-119 and cmd/client-fs.go:224-229), so local retention would prune
 * the copies too. Not `--remove`: an empty volume would empty the bucket (cmd/mirror-url.go:250-257,
 * mirror-main.go:858). Not `--overwrite`: a file that differs from its copy is reported and left
 * ("Overwrite not allowed", cmd/mirror-url.go:217-224, ignored by mirror-main.go:611-613), so a corrupted
 * local dump never replaces a good copy. `--older-than` skips files younger than SYNC_MIN_AGE
 * (cmd/utils.go:172-188, mirror-main.go:833-835; for an object the time is its last modification). With `sse`,
 * objects are written with SSE-C under that key (`--enc-c alias/prefix=key`, 64 hex digits:
 * cmd/encryption-methods.go:195-243; the flag has no environment variable, cmd/flags.go:112-115, so the key is read
 * from its file by the shell at run time and never appears in the container's configuration).
 *
 * `mc mirror` exits non-zero when any copy of the pass failed (mirror-main.go:1198-1201, errDuringMirror from
 * :622-624) and zero otherwise. A pass in which every copy exited zero is recorded: MIRROR_METRIC with the time,
 * written under a temporary name and renamed, so node-exporter never reads half a file; the temporary name holds
 * the container's HOSTNAME (Docker sets it to the container's own hostname, moby/moby@v27.5.1
 * container/container.go:768), so a replacement starting beside the old container never writes the same temporary
 * file. A failed pass leaves the last success as it was. At its first start on a metrics volume the mirror also
 * records MIRROR_STARTED_METRIC, so that a mirror that runs but never succeeds is seen (BackupMirrorStale).
 * node-exporter reads the files as another user (nobody), so they are made world-readable (umask 022, Docker's
 * default anyway); they hold nothing but the times.
 */
export function renderMirrorLoop(loop: MirrorLoop): string {
    const { sse } = loop;
    if (sse && !sse.scope.endsWith("/"))
        throw new Error(`renderMirrorLoop: the SSE-C scope ${sse.scope} must end with "/"`);
    for (const c of loop.copies) {
        if (sse && !`${c.target}/`.startsWith(sse.scope)) {
            throw new Error(
                `renderMirrorLoop: ${c.target} is outside the SSE-C scope ${sse.scope}; it would be written unencrypted`,
            );
        }
    }
    const enc = sse ? ` --enc-c "${sse.scope}=$(cat ${sse.keyFile})"` : "";
    const files = mirrorMetricFiles(loop.textfileDir, loop.name);
    const publish = (file: string, metric: typeof MIRROR_METRIC | typeof MIRROR_STARTED_METRIC) =>
        `printf '${mirrorMetricTemplate(metric, loop.name)}' "$(date -u +%s)" >"${file}$part" && mv -f "${file}$part" "${file}"`;
    return [
        "set -u",
        "umask 022",
        // PID 1 ignores TERM unless it traps it; `sleep & wait` lets the trap run at once, and it ends the pause too.
        "trap 'kill $! 2>/dev/null; exit 0' TERM INT",
        // Docker sets HOSTNAME in every container's environment; shellcheck knows it only as bash's own variable.
        "# shellcheck disable=SC3028",
        'part=".${HOSTNAME:-mirror}.tmp"',
        `if [ ! -e ${files.started} ]; then`,
        `  ${publish(files.started, MIRROR_STARTED_METRIC)} ||`,
        `    echo "${loop.name}: could not record its first start in ${files.started}" >&2`,
        "fi",
        "while :; do",
        '  failed=""',
        ...loop.copies.flatMap((c) => {
            const exclude = (c.exclude ?? []).map((e) => ` --exclude '${e}'`).join("");
            return [
                `  mc --config-dir ${MC_DIR} mirror --older-than ${SYNC_MIN_AGE}${exclude}${enc} ${c.source} ${c.target} ||`,
                `    failed="$failed ${c.source}"`,
            ];
        }),
        '  if [ -z "$failed" ]; then',
        `    ${publish(files.success, MIRROR_METRIC)} ||`,
        `      echo "${loop.name}: every copy of this pass succeeded, but recording it in ${files.success} failed" >&2`,
        "  else",
        `    echo "${loop.name}: this pass failed for$failed; the last success stays as recorded; the next pass starts in ${SYNC_INTERVAL_SECONDS} s" >&2`,
        "  fi",
        `  sleep ${SYNC_INTERVAL_SECONDS} &`,
        "  wait $!",
        "done",
    ].join("\n");
}
