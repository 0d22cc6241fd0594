/**
 * Image contracts (rung 6 of the ladder in the shared design): for every pinned
 * public image, what its own Dockerfile and entrypoint need from the container
 * the program runs it in. The user it runs as, how its entrypoint drops
 * privileges and which capabilities that takes, the binaries its health checks
 * and commands may call, and the paths it writes. test/imageContracts.test.ts
 * checks every Service against these entries; read-only root filesystems and
 * non-root users will be built on them.
 *
 * Each entry cites the image's published Dockerfile or entrypoint at the pinned
 * tag (or the nearest stored commit, said where so).
 *
 * Shorthand in the citations below (full commit ids are in the note on issue 14): pg docker-library/postgres@2603e26e
 * 17/alpine3.24/Dockerfile (the commit official-images maps 17.11-alpine to) pg-ep docker-library/postgres@6edb0a8c
 * 17/alpine3.23/docker-entrypoint.sh (newest stored copy of the shared template) rd redis/docker-library-redis@e5650da9
 * 7.4/alpine/ (7.4.1; 7.4.2's commit 8338d86b is not stored, see the note on issue 14) bb busybox source at tag 1_36_1
 * (mirror/busybox) abc alpinelinux/aports@f246c371 main/busybox/busyboxconfig (newest stored Alpine busybox config) pgb
 * edoburu/docker-pgbouncer@v1.23.1-p3 (078df15d) mio minio/minio@RELEASE.2025-09-07T16-13-09Z (07c3a429); mc =
 * minio/mc@RELEASE.2025-08-13T08-35-41Z (7394ce0d) cd caddyserver/caddy-docker@645721b4 2.8/alpine/Dockerfile (the
 * commit official-images maps 2.8.4-alpine to) uk louislam/uptime-kuma@1.23.15 (32dc76a0) gf grafana/grafana@78515af6
 * Dockerfile (newest stored; the v11.2.2 file is not stored, see the note on issue 14)
 *
 * Shared facts, cited once here: - BUSYBOX_BASE: every prom/* and quay.io/prometheuscommunity/* image below is `FROM
 * quay.io/prometheus/busybox-${OS}-${ARCH}:latest`. On linux-amd64 `latest` is the *uclibc* variant
 * (prometheus/busybox@844e796 Makefile:36, pushed by push.sh:20-22 from .circleci/config.yml:29-33; unchanged from
 * 2023-07 to 2025-01, so it covers every pinned build). That variant is `FROM busybox:uclibc` plus CA bundle, zoneinfo,
 * nsswitch.conf and /etc/services (prometheus/busybox@844e796 uclibc/Dockerfile:16-19,33).
 * docker-library/busybox@de921aa latest/uclibc/Dockerfile.builder builds BusyBox 1.36.1 (:214) from `make defconfig`
 * (:258; wget is `default y` in BusyBox networking/wget.c), hard-links every applet into /bin (:293-301) and takes
 * /etc/passwd and /etc/group from buildroot's skeleton (:304-310): `nobody:x:65534:65534`. Checked in the rootfs that
 * builder publishes (docker-library/busybox dist-amd64:latest-1/uclibc/amd64/rootfs.tar.gz): bin/wget and bin/sh are
 * links to the busybox binary, tmp/ is 1777, nothing is setuid. - ALPINE_320: alpinelinux/docker-alpine v3.20
 * x86_64/alpine-minirootfs-3.20.3-x86_64.tar.gz (world: alpine-baselayout, alpine-keys, apk-tools, busybox,
 * libc-utils): /bin/sh and /usr/bin/wget are symlinks to /bin/busybox (busybox.post-install runs `busybox --install
 * -s`; wget's applet dir is BB_DIR_USR_BIN); no bash. - Docker copies an image directory's content and ownership into a
 * named volume only while the volume is empty, at container create (moby@v20.10.24 daemon/create_unix.go:81-92,
 * container/container_unix.go:126-153,408-417; v26.1.5 daemon/create_unix.go:99-124). The provider mounts named volumes
 * as Binds `name:/path:rw` (kreuzwerker/terraform-provider-docker@v4.5.0
 * internal/provider/resource_docker_container_structures.go:313-319), which keeps that copy on. - CMD-SHELL health
 * checks run as `/bin/sh -c` unless the image sets SHELL (moby@v20.10.24 daemon/health.go:64-68,378-389; v26.1.5
 * daemon/health.go:69,449-460). None of these images sets SHELL. - For a non-root container user, capabilities added
 * with cap_add never reach the effective set (moby@v20.10.24 oci/oci.go:22-36 sets only the bounding set; checked on
 * this host's docker.io 20.10.24: CapEff 0 with --cap-add DAC_READ_SEARCH -u 65534).
 */
import { PUBLIC_IMAGES } from "./images";

export interface ImageContract {
    /** Exactly as pinned in PUBLIC_IMAGES. */
    readonly image: string;
    readonly base: string;
    /** Who the image runs as when the container sets no `user`. */
    readonly runsAs: { readonly user: string; readonly uid: number; readonly gid: number; readonly source: string };
    /** What the image's own entrypoint does to change user, and the capabilities that takes. */
    readonly privilegeDrop?: {
        readonly how: string;
        readonly when: string;
        readonly needs: readonly string[];
        /** The drop runs only when the container starts as root (else whatever the user). @default true */
        readonly onlyAsRoot?: boolean;
        readonly source: string;
    };
    /** Capabilities needed merely to exec the image's main binary (file capabilities with the effective bit). */
    readonly execNeeds?: readonly string[];
    /** Absolute path → where it comes from: only binaries verified to exist. */
    readonly binaries: Readonly<Record<string, string>>;
    /** The working directory relative paths in commands resolve against. @default "/" */
    readonly workdir?: string;
    /** Paths the process writes at run time. */
    readonly writes: readonly string[];
    readonly notes?: string;
}

const BUSYBOX_WGET =
    "BusyBox applet, hard link in /bin (docker-library/busybox@de921aa latest/uclibc/Dockerfile.builder:258,293-301; via prometheus/busybox uclibc)";
const BUSYBOX_SH = "busybox ash: no /dev/tcp (docker-library/busybox@de921aa latest/uclibc/Dockerfile.builder:293-301)";
const ALPINE_WGET =
    "symlink to /bin/busybox, alpine 3.20 busybox package (alpinelinux/docker-alpine v3.20 minirootfs; aports main/busybox CONFIG_WGET=y)";
const ALPINE_SH = "symlink to /bin/busybox (busybox ash: no /dev/tcp, no bash in the image)";
const NO_DROP = "ENTRYPOINT is the program itself: nothing in the image switches user, so it needs no capability.";

export const IMAGE_CONTRACTS: readonly ImageContract[] = [
    {
        image: "postgres:17.11-alpine",
        base: "alpine 3.24",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: 'pg: no USER directive (FROM alpine:3.24 :7, ENTRYPOINT :200, CMD ["postgres"] :227); official-images@37079fb3 library/postgres:57-60',
        },
        privilegeDrop: {
            how:
                "docker-entrypoint.sh: mkdir + chmod 00700 $PGDATA and chmod 03775 /var/run/postgresql (errors ignored), then " +
                "`find $PGDATA ! -user postgres -exec chown postgres {} +` and the same on /var/run/postgresql, then " +
                "`exec gosu postgres` (setgroups, setgid 70, setuid 70); the server itself then holds no capability",
            when:
                "first argument is `postgres` (or begins with '-') and is not --help/--version, and `id -u` is 0; " +
                "under any other uid these steps are skipped",
            needs: ["DAC_OVERRIDE", "SETUID", "SETGID", "CHOWN"],
            source:
                "pg-ep:36-61 (docker_create_db_directories), :326-339 (_main: gosu); gosu 1.19 pg:20-46; container test here: " +
                "find exits 1 on a 0700 postgres-owned PGDATA without DAC_OVERRIDE; chmod without FOWNER fails but is ignored (pg-ep:41,45)",
        },
        binaries: {
            "/usr/local/bin/docker-entrypoint.sh": "pg:198,200",
            "/usr/local/bin/gosu": "gosu 1.19, pg:20-46",
            "/usr/local/bin/postgres": "make install-world-bin with --prefix=/usr/local, pg:135,153",
            "/usr/local/bin/pg_isready": "make install-world-bin, pg:135,153",
            "/usr/local/bin/psql": "make install-world-bin, pg:135,153",
            "/usr/local/bin/pg_dump": "make install-world-bin, pg:135,153",
            "/usr/local/bin/pg_restore": "make install-world-bin, pg:135,153",
            "/bin/bash": "apk bash in .postgresql-rundeps, pg:167",
            "/bin/sh": "busybox ash, alpine base; bb shell/ash.c:165",
            "/usr/sbin/crond":
                "busybox applet; abc CONFIG_CROND=y, CONFIG_FEATURE_CROND_D=y; bb miscutils/crond.c:61 (BB_DIR_USR_SBIN)",
            "/bin/pidof": "busybox applet; abc CONFIG_PIDOF=y; bb procps/pidof.c:32",
            "/usr/bin/find": "busybox applet; abc CONFIG_FIND=y, CONFIG_FEATURE_FIND_MMIN=y; bb findutils/find.c:281",
            "/bin/cat": "busybox applet; bb coreutils/cat.c:30",
            "/bin/mkdir": "busybox applet; bb coreutils/mkdir.c:22",
            "/bin/mv": "busybox applet; bb coreutils/mv.c:20",
            "/bin/rm": "busybox applet; bb coreutils/rm.c:19",
            "/bin/date": "busybox applet; bb coreutils/date.c:59",
            "/bin/ls": "busybox applet; bb coreutils/ls.c:95",
            "/usr/bin/head": "busybox applet; bb coreutils/head.c:21",
            "/usr/bin/wc": "busybox applet; bb coreutils/wc.c:49",
        },
        writes: ["/var/lib/postgresql/data", "/var/run/postgresql"],
        notes:
            "DAC_READ_SEARCH would do instead of DAC_OVERRIDE (find only has to search PGDATA); CHOWN is exercised only when a file in " +
            'PGDATA is not postgres-owned; FOWNER is never required. With user "70:70" the entrypoint needs no capability: the image\'s ' +
            "PGDATA (1777, pg:195) and a fresh volume copied from it are postgres-owned, and a volume an earlier root run initialised was " +
            "chowned to postgres by that run (pg-ep:55-60); the server container runs so (components/services/postgres.ts). " +
            "/var/run/postgresql (pg:191) holds the socket and " +
            "its lock. Run with entrypoint `crond -f` (the backup service), busybox crond reads /var/spool/cron/crontabs -> /etc/crontabs, " +
            "loads a crontab only if it is owned by uid 0 (bb crond.c:440), needs SETGID for initgroups() even for root's jobs while " +
            "SETUID is not needed when the job user is root (bb libbb/change_identity.c:37-58; tested here), writes /var/run/crond.pid " +
            "and /var/run/crond.reboot (/var/run -> /run; bb crond.c:93,1065) and, without -d or -L, logs only to syslog (bb crond.c:1049-1053).",
    },
    {
        image: "edoburu/pgbouncer:v1.23.1-p3",
        base: "alpine 3.20",
        runsAs: {
            user: "postgres",
            uid: 70,
            gid: 70,
            source:
                "pgb Dockerfile:31 USER postgres; the user comes with postgresql-client (:21) through postgresql-common's pre-install " +
                "(aports main/postgresql-common/APKBUILD install=); 70:70 is Alpine's fixed id, per pg:9-13",
        },
        binaries: {
            "/entrypoint.sh": "pgb Dockerfile:26,32",
            "/usr/bin/pgbouncer": "built from the 1.23.1 release tarball, pgb Dockerfile:9-10,17,27",
            "/usr/bin/pg_isready":
                "apk postgresql-client (pgb Dockerfile:21), i.e. postgresql16-client: pg_isready is in its _client_cmds and " +
                "postgresql-common's pg_versions links it into /usr/bin (aports main/postgresql16/APKBUILD, main/postgresql-common/APKBUILD)",
            "/bin/sh": "apk busybox, pgb Dockerfile:21",
        },
        writes: ["/tmp"],
        notes:
            "No privilege change: the image runs as postgres and the entrypoint never switches user, so no capability is needed. " +
            "PgBouncer's unix socket and its lock go to unix_socket_dir, default /tmp (pgbouncer@pgbouncer_1_23_1 src/main.c:325, " +
            "include/bouncer.h:187); pidfile and logfile default to empty (src/main.c:273,281). The entrypoint writes into /etc/pgbouncer " +
            "(postgres-owned, Dockerfile:22-24) only when AUTH_FILE is missing (entrypoint.sh:42-48), when DB_USER/DB_PASSWORD or " +
            "DATABASE_URL are set (:11-38,50-58) or when pgbouncer.ini is missing (:60-160); the program uploads both files and sets AUTH_FILE.",
    },
    {
        image: "redis:7.4.2-alpine",
        base: "alpine 3.21",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source:
                'rd Dockerfile: no USER directive (ENTRYPOINT :138, CMD ["redis-server"] :141); redis user is 999:1000 (:10-13); ' +
                "official-images@171c4662 library/redis:22-25 maps 7.4.2-alpine to redis/docker-library-redis@8338d86b, alpine3.21",
        },
        privilegeDrop: {
            how:
                'docker-entrypoint.sh: `find . ! -user redis -exec chown redis {} +` in WORKDIR /data, then `exec gosu redis "$0"`; ' +
                "the re-run as 999:1000 sets umask 0077 and execs the server",
            when: "first argument is redis-server (or begins with '-' or ends in .conf) and `id -u` is 0",
            needs: ["DAC_READ_SEARCH", "SETUID", "SETGID", "CHOWN"],
            source:
                "rd docker-entrypoint.sh:6-14,19-22; redis@7.4.1 src/util.c:1064 (mkdir 0755) with the 0077 umask makes appendonlydir 0700, " +
                "so find cannot enter it as root without DAC_READ_SEARCH or DAC_OVERRIDE (container test here: find exits 1, the script stops)",
        },
        binaries: {
            "/usr/local/bin/docker-entrypoint.sh": "rd Dockerfile:137-138",
            "/usr/local/bin/gosu": "gosu 1.17, rd Dockerfile:24-50",
            "/usr/local/bin/redis-server": "make install, rd Dockerfile:106,131",
            "/usr/local/bin/redis-cli":
                "make install, rd Dockerfile:106,130 (a separate binary, not one of the redis-server links at :109-117)",
            "/bin/sh": "busybox ash, alpine base; bb shell/ash.c:165",
            "/bin/cat": "busybox applet; bb coreutils/cat.c:30",
            "/bin/grep": "busybox applet; bb findutils/grep.c:47",
            "/usr/bin/find": "busybox applet; bb findutils/find.c:281",
            "/bin/chown": "busybox applet; bb coreutils/chown.c:21",
        },
        writes: ["/data"],
        notes:
            "The first start works (an empty /data holds nothing to search); every later start of the same volume with appendonly yes " +
            'fails at the find unless DAC_READ_SEARCH (or DAC_OVERRIDE) is granted. With user "999:1000" the entrypoint skips find and ' +
            "gosu and needs no capability: the image's /data is 999:1000 (rd Dockerfile:133), so a fresh named volume is too. " +
            "CHOWN is exercised only when a file in /data is not redis-owned.",
    },
    {
        image: "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
        base: "ubi9-micro (registry.access.redhat.com/ubi9/ubi-micro:latest at build time)",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: "mio Dockerfile.release:37-73, no USER directive; docker-buildx.sh:15-24 builds the quay.io tags from it",
        },
        binaries: {
            "/usr/bin/minio": "mio Dockerfile.release:18-21,61",
            "/usr/bin/mc": "mio Dockerfile.release:24-27,62",
            "/usr/bin/curl":
                "static curl, mio Dockerfile.release:33-35,63 and dockerscripts/download-static-curl.sh:3-8,17-18 " +
                "(amd64, arm64, ppc64le; none on s390x, :14-15)",
            "/usr/bin/docker-entrypoint.sh": "mio Dockerfile.release:67,72",
            "/bin/sh": "ubi-micro; implied by the RUN at mio Dockerfile.release:58 and the entrypoint's #!/bin/sh",
        },
        writes: ["/data", "/root/.minio/certs/CAs"],
        notes:
            "No privilege change unless MINIO_USERNAME and MINIO_GROUPNAME are set (deprecated): then the entrypoint runs " +
            "`chroot --userspec` (SYS_CHROOT, SETUID, SETGID) and may append to /etc/passwd (dockerscripts/docker-entrypoint.sh:11-26); " +
            "the program sets neither, so no capability is needed. The server creates $HOME/.minio/certs/CAs at start and dies if that " +
            "fails for any reason but EACCES/EPERM (cmd/common-main.go:512-524, cmd/config-dir.go:50-69,86-96): on a read-only root " +
            "it needs a tmpfs there or --certs-dir on a writable path. The health check's curl exists here (not in the mc image).",
    },
    {
        image: "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
        base: "ubi9-micro (registry.access.redhat.com/ubi9/ubi-micro:latest at build time)",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: 'mc Dockerfile.release:5-24, no USER directive; ENTRYPOINT ["mc"] :24',
        },
        binaries: {
            "/usr/bin/mc": "mc Dockerfile.release:20-22",
            "/bin/sh": "ubi-micro; implied by the RUN at mc Dockerfile.release:22",
            // The backup mirrors' loop (components/services/backup.ts) reads the SSE-C key with cat and waits with
            // sleep. Inferred, not read: ubi-micro's chmod, which the RUN at :22 calls, comes from coreutils-single,
            // which also installs cat and sleep; no stored source lists the image's files. The real-engine test runs
            // the loop on BusyBox.
            "/usr/bin/cat": "ubi-micro coreutils-single (inferred from the chmod at mc Dockerfile.release:22)",
            "/usr/bin/sleep": "ubi-micro coreutils-single (inferred from the chmod at mc Dockerfile.release:22)",
            // The mirrors record each pass's success with date and mv (components/services/backupScripts.ts); same
            // inference.
            "/usr/bin/date": "ubi-micro coreutils-single (inferred from the chmod at mc Dockerfile.release:22)",
            "/usr/bin/mv": "ubi-micro coreutils-single (inferred from the chmod at mc Dockerfile.release:22)",
        },
        writes: ["/root/.mc"],
        notes:
            "No entrypoint script and no privilege change. There is no curl in this image (Dockerfile.release adds only mc and CA " +
            "certificates). Every command first migrates and initialises its config dir (default $HOME/.mc, or --config-dir D): " +
            "it creates D/share (uploads.json, downloads.json) and D/certs/CAs and writes D/config.json only when it is missing or old " +
            "(mc cmd/main.go:253-292,355-374, cmd/share.go:177-204, cmd/certs.go:48-57, cmd/config-migrate.go:30-51). With " +
            "--config-dir /run/secrets/mc that dir is root:root 0755 (made by the daemon when the upload is extracted), so root " +
            "writes there without DAC_OVERRIDE; as a non-root user, or on a read-only root, it would fail. `mc ready` exists (cmd/ready-main.go:49).",
    },
    {
        image: "caddy:2.8.4-alpine",
        base: "alpine 3.20",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: "cd: no USER directive, no ENTRYPOINT, CMD caddy run (:61); official-images@8fc2f16e library/caddy:53-58",
        },
        execNeeds: ["NET_BIND_SERVICE"],
        binaries: {
            "/usr/bin/caddy": "release tarball, cd:33-38; carries file capability cap_net_bind_service=+ep (:37)",
            "/usr/bin/wget": "busybox applet, alpine base; abc CONFIG_WGET=y; bb networking/wget.c:132",
            "/bin/sh": "busybox ash, alpine base",
        },
        writes: ["/data/caddy", "/config/caddy"],
        notes:
            "No privilege change, but NET_BIND_SERVICE must stay in the bounding set even if Caddy bound no port below 1024: " +
            "/usr/bin/caddy has cap_net_bind_service=+ep with the effective bit (cd:37), and the kernel refuses to exec such a file " +
            "with EPERM when it cannot grant the file's permitted set (caddyserver/caddy-docker#396). XDG_DATA_HOME=/data and " +
            "XDG_CONFIG_HOME=/config (cd:42-43): certificates, locks and instance data go to /data/caddy (caddy@v2.8.4 storage.go:122-125,160), " +
            "`caddy run` autosaves the loaded config to /config/caddy/autosave.json and only logs a failure (caddy.go:357-379, cmd/main.go:375).",
    },
    {
        image: "louislam/uptime-kuma:1.23.15",
        base: "debian buster-slim (node:18-buster-slim via louislam/uptime-kuma:base-debian)",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source:
                "uk docker/dockerfile:26-39 (release stage, no USER); base uk docker/debian-base.dockerfile:3; node:18-buster-slim has no USER " +
                "(nodejs/docker-node@0f6f079c 18/buster-slim/Dockerfile; its node user is 1000:1000, :3-4)",
        },
        privilegeDrop: {
            how:
                "extra/entrypoint.sh: `chown -hRc $PUID:$PGID /app/data`, then `exec setpriv --reuid $PUID --regid $PGID --clear-groups <cmd>`; " +
                "PUID and PGID default to 0, so by default it changes to root and only clears the supplementary groups",
            when: 'every start, whatever the user: ENTRYPOINT ["/usr/bin/dumb-init", "--", "extra/entrypoint.sh"]',
            needs: ["SETGID"],
            onlyAsRoot: false,
            source:
                "uk extra/entrypoint.sh:5-6,12,16,21; uk docker/dockerfile:38; util-linux@v2.33.1 sys-utils/setpriv.c:1037-1067 " +
                "(setresuid/setresgid to the current ids need nothing, setgroups(0) needs CAP_SETGID; exit 127 :58); tested here with util-linux " +
                "2.38.1 setpriv: no capabilities -> `setgroups failed: Operation not permitted`, exit 127; CAP_SETGID alone -> runs",
        },
        workdir: "/app",
        binaries: {
            "/usr/bin/dumb-init": "apt dumb-init, uk docker/debian-base.dockerfile:25; uk docker/dockerfile:38",
            "/usr/bin/setpriv": "apt util-linux (2.33.1 in buster), uk docker/debian-base.dockerfile:24",
            "/app/extra/entrypoint.sh": "uk docker/dockerfile:19,21,32",
            "/app/extra/healthcheck": "Go binary from extra/healthcheck.go, uk docker/dockerfile:6,20,32",
            "/usr/local/bin/node": "node:18-buster-slim base (nodejs/docker-node 18/buster-slim/Dockerfile)",
            "/bin/chown": "coreutils (Essential in Debian)",
            "/bin/sh": "dash (Essential in Debian); the entrypoint's #!/usr/bin/env sh",
            "/usr/bin/sudo": "apt sudo, uk docker/debian-base.dockerfile:28",
            "/usr/bin/curl": "apt curl, uk docker/debian-base.dockerfile:26",
            "/usr/bin/sqlite3": "apt sqlite3, uk docker/debian-base.dockerfile:22",
        },
        writes: ["/app/data"],
        notes:
            "Needs with PUID/PGID set to another id: CHOWN (chown -R to that owner), SETUID and SETGID. Run as a non-root user " +
            '(user "1000:1000") the entrypoint cannot succeed at all: setgroups() needs CAP_SETGID whatever the uid, and chowning the ' +
            'root-owned volume needs CAP_CHOWN (both tested here). Overriding the entrypoint with ["/usr/bin/dumb-init", "--"] and ' +
            'command ["node", "server/server.js"] runs as root with no capability and loses nothing, since PUID=0 drops nothing. ' +
            "The server writes kuma.db, upload/, screenshots/ and docker-tls/ under ./data (server/database.js:104-126) and tries " +
            "`sudo service nscd start`, whose failure is only logged (server/uptime-kuma-server.js:430-438). The image's own health check " +
            "waits 180 s before the first probe (docker/dockerfile:37, extra/healthcheck.go:3).",
    },
    {
        image: "grafana/grafana:11.2.2",
        base: "alpine (the v11.2.2 Dockerfile's BASE_IMAGE minor is not verified here)",
        runsAs: {
            user: "grafana",
            uid: 472,
            gid: 0,
            source:
                'gf:139-140 (GF_UID 472, GF_GID 0), :185-198 (group 0 exists, so adduser -S -u 472 -G root grafana), :223 USER "$GF_UID"; ' +
                "unchanged since v7.3 by Grafana's docs; the v11.2.2 file itself is not in the store",
        },
        binaries: {
            "/run.sh": "packaging/docker/run.sh, gf:219-224",
            "/usr/share/grafana/bin/grafana": "gf:213 (on PATH, :142); `grafana cli` and `grafana server`",
            "/usr/share/grafana/bin/grafana-cli": "gf:213",
            "/usr/share/grafana/bin/grafana-server": "gf:213",
            "/bin/bash": "apk bash, gf:154",
            "/usr/bin/curl": "apk curl, gf:154",
            "/usr/bin/wget": "busybox applet, alpine base; bb networking/wget.c:132",
            "/bin/sh": "busybox ash, alpine base",
            "/bin/cp": "busybox applet; bb coreutils/cp.c:33",
            "/bin/ls": "busybox applet; bb coreutils/ls.c:95",
            "/bin/cat": "busybox applet; bb coreutils/cat.c:30",
        },
        writes: ["/var/lib/grafana", "/var/log/grafana"],
        notes:
            "No privilege change. /var/lib/grafana, /var/lib/grafana/plugins, /var/log/grafana and /etc/grafana/provisioning are " +
            "472:0 and chmod -R 777 in the image (gf:199-211), so a fresh named volume at /var/lib/grafana is writable by 472. run.sh " +
            "reads GF_*__FILE secrets, mkdirs the plugins dir and execs `grafana server` with log mode console and the paths on the " +
            "command line (grafana/grafana@07754534 packaging/docker/run.sh:12,26-28,58-69,91-99, a stored copy newer than 11.2.2). " +
            "`grafana cli` run directly (not via run.sh) still finds /var/lib/grafana because GF_PATHS_DATA is also Grafana's " +
            "GF_<SECTION>_<KEY> override of [paths] data (gf:144); with the default log mode it may write /var/log/grafana/grafana.log.",
    },
    {
        image: "prom/prometheus:v2.53.2",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "nobody",
            uid: 65534,
            gid: 65534,
            source: "prometheus/prometheus@v2.53.2 Dockerfile:21 (USER nobody); uid/gid from the busybox base /etc/passwd (buildroot skeleton)",
        },
        binaries: {
            "/bin/prometheus": "prometheus/prometheus@v2.53.2 Dockerfile:8 (ENTRYPOINT :24)",
            "/bin/promtool": "prometheus/prometheus@v2.53.2 Dockerfile:9",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        // TSDB: lock (tsdb/tsdbutil/dir_locker.go:65), wal/ (tsdb/db.go:807), chunks_head/ (tsdb/head.go:573), blocks;
        // queries.active (promql/query_logger.go:141 via cmd/prometheus/main.go:764). All under --storage.tsdb.path.
        writes: ["/prometheus"],
        notes:
            NO_DROP +
            " /prometheus (WORKDIR :17) and /etc/prometheus are chowned nobody:nobody at build (Dockerfile:18-19), so a new named volume" +
            " on /prometheus starts owned 65534:65534 and is writable without capabilities. VOLUME /prometheus (:23).",
    },
    {
        image: "prom/alertmanager:v0.27.0",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "nobody",
            uid: 65534,
            gid: 65534,
            source: "prometheus/alertmanager@v0.27.0 Dockerfile:15 (USER nobody); uid/gid from the busybox base /etc/passwd",
        },
        binaries: {
            "/bin/alertmanager": "prometheus/alertmanager@v0.27.0 Dockerfile:9 (ENTRYPOINT :19)",
            "/bin/amtool": "prometheus/alertmanager@v0.27.0 Dockerfile:8",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        // nflog and silences snapshots (cmd/alertmanager/main.go:231,256) under --storage.path.
        writes: ["/alertmanager"],
        notes:
            NO_DROP +
            " /alertmanager is created and chowned nobody:nobody at build (Dockerfile:12-13), so a new named volume there is owned 65534." +
            " HA gossip is on by default (--cluster.listen-address, cmd/alertmanager/main.go:153-154): it listens on :9094 and exits with" +
            " 'no private IP found' when no interface has a private address (cluster/advertise.go:71); pass --cluster.listen-address= for one instance.",
    },
    {
        image: "grafana/loki:2.9.10",
        base: "alpine 3.20.2 + ca-certificates, libcap (grafana/loki@v2.9.10 cmd/loki/Dockerfile:7,9)",
        runsAs: {
            user: "10001 (loki)",
            uid: 10001,
            gid: 10001,
            source: "grafana/loki@v2.9.10 cmd/loki/Dockerfile:20 (USER 10001); group and user 10001 created at :14-15",
        },
        binaries: {
            "/usr/bin/loki": "grafana/loki@v2.9.10 cmd/loki/Dockerfile:11 (ENTRYPOINT :22)",
            "/usr/bin/wget": ALPINE_WGET,
            "/bin/sh": ALPINE_SH,
        },
        // With common.path_prefix /loki (components/monitoring/logsConfig.ts): chunks and rules are set there
        // explicitly; rules-temp, wal, compactor come from applyPathPrefixDefaults
        // (pkg/loki/config_wrapper.go:353-368), the TSDB shipper directories from betterTSDBShipperDefaults (:541-551).
        writes: [
            "/loki/chunks",
            "/loki/rules",
            "/loki/rules-temp",
            "/loki/wal",
            "/loki/compactor",
            "/loki/tsdb-shipper-active",
            "/loki/tsdb-shipper-cache",
        ],
        notes:
            NO_DROP +
            " /loki, /loki/rules, /loki/rules-temp and /etc/loki are chowned loki:loki at build (cmd/loki/Dockerfile:16-18), so a new named" +
            " volume on /loki starts owned 10001:10001. Published from this Dockerfile: .drone/drone.yml:366-381 and" +
            " .github/workflows/patch-release-pr.yml:455.",
    },
    {
        image: "grafana/promtail:2.9.10",
        base: "debian bullseye-slim + tzdata, ca-certificates, libsystemd-dev (grafana/loki@v2.9.10 clients/cmd/promtail/Dockerfile:11-19)",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: "grafana/loki@v2.9.10 clients/cmd/promtail/Dockerfile: no USER instruction (FROM :11 to ENTRYPOINT :22)",
        },
        binaries: {
            "/usr/bin/promtail": "grafana/loki@v2.9.10 clients/cmd/promtail/Dockerfile:20 (ENTRYPOINT :22)",
            "/bin/sh":
                "dash 0.5.11 (Essential, diverts /bin/sh): no /dev/tcp (debuerreotype/docker-debian-artifacts bullseye/slim/rootfs.manifest:8)",
            "/bin/bash":
                "bash 5.1 (Essential; /dev/tcp works) (debuerreotype/docker-debian-artifacts bullseye/slim/rootfs.manifest:5)",
            "/bin/grep":
                "grep 3.6 (Essential) (debuerreotype/docker-debian-artifacts bullseye/slim/rootfs.manifest:19)",
        },
        // positions.filename in components/monitoring/logsConfig.ts; written through renameio in the same directory
        // (clients/pkg/promtail/positions/write_positions_unix.go:24).
        writes: ["/tmp/positions.yaml"],
        notes:
            NO_DROP +
            " No wget, curl or busybox: none is in the bullseye-slim manifest and the Dockerfile installs none. A CMD-SHELL probe runs under" +
            ' dash, so `exec 3<>/dev/tcp/...` fails with \'cannot create /dev/tcp/...: Directory nonexistent\'; run it as ["CMD","bash","-c",...].' +
            " Reading logs: docker_sd_configs would need connect() on /var/run/docker.sock (host root:docker 0660): uid 0 passes as owner with no" +
            " capability; ':ro' does not limit the API (a POST went through in the lab), so it is not used (issue 15, finding 6). Promtail tails" +
            " <data-root>/containers/*/*-json.log instead, root:root 0640 in 0710 dirs (moby@v20.10.24 daemon/logger/jsonfilelog/jsonfilelog.go:113," +
            " daemon/create.go:216): readable by uid 0 without capabilities, by no other uid (cap_add does not help a non-root user), which is why" +
            " it stays root. /tmp is in the container layer, so positions are lost on every replacement and the file target reads each file" +
            " again from its start (clients/pkg/promtail/targets/file/tailer.go:54,69-70), as the docker target restarted from since=0.",
    },
    {
        image: "prom/blackbox-exporter:v0.25.0",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "root",
            uid: 0,
            gid: 0,
            source: "prometheus/blackbox_exporter@v0.25.0 Dockerfile: no USER instruction (FROM :3 to ENTRYPOINT :12)",
        },
        binaries: {
            "/bin/blackbox_exporter": "prometheus/blackbox_exporter@v0.25.0 Dockerfile:8 (ENTRYPOINT :12)",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        writes: [],
        notes:
            NO_DROP +
            " Runs as root only because the Dockerfile has no USER. The program's modules are HTTP only (renderBlackboxConfig), which" +
            " needs no capability; an ICMP module would need NET_RAW, which only a uid-0 process can use. Can run as 65534:65534:" +
            " the uploaded config and CA are root-owned 0644/0444.",
    },
    {
        image: "prom/node-exporter:v1.8.2",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "nobody",
            uid: 65534,
            gid: 65534,
            source: "prometheus/node_exporter@v1.8.2 Dockerfile:11 (USER nobody); uid/gid from the busybox base /etc/passwd",
        },
        binaries: {
            "/bin/node_exporter": "prometheus/node_exporter@v1.8.2 Dockerfile:8 (ENTRYPOINT :12)",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        writes: [],
        notes:
            NO_DROP +
            " Reads /host (host root, read-only) and the textfile directory; writes nothing. Textfile .prom files must be world-readable." +
            " Upstream runs it with --net=host --pid=host and '/:/host:ro,rslave' (README.md:43-48 at v1.8.2); without them network" +
            " metrics are the container's own and host mounts made after the container starts stay invisible.",
    },
    {
        image: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "nobody",
            uid: 65534,
            gid: 65534,
            source: "prometheus-community/postgres_exporter@v0.15.0 Dockerfile:11 (USER nobody); uid/gid from the busybox base /etc/passwd",
        },
        binaries: {
            "/bin/postgres_exporter": "prometheus-community/postgres_exporter@v0.15.0 Dockerfile:8 (ENTRYPOINT :12)",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        writes: [],
        notes:
            NO_DROP +
            " The quay.io image is this Dockerfile: Makefile:6,10 (DOCKER_REPO prometheuscommunity, image postgres-exporter) and" +
            " .circleci/config.yml:85-96 (quay_io_organization prometheuscommunity). Reads DATA_SOURCE_PASS_FILE (cmd/postgres_exporter/datasource.go:141).",
    },
    {
        image: "oliver006/redis_exporter:v1.62.0-alpine",
        base: "alpine 3.20 (oliver006/redis_exporter@v1.62.0 docker/Dockerfile:39)",
        runsAs: {
            user: "59000",
            uid: 59000,
            gid: 59000,
            source: "oliver006/redis_exporter@v1.62.0 docker/Dockerfile:45 (USER 59000:59000; no /etc/passwd entry)",
        },
        binaries: {
            "/redis_exporter": "oliver006/redis_exporter@v1.62.0 docker/Dockerfile:41 (ENTRYPOINT :48)",
            "/usr/bin/wget": ALPINE_WGET,
            "/bin/sh": ALPINE_SH,
        },
        writes: [],
        notes:
            NO_DROP +
            " The -alpine tag is pushed by one amd64-only step (.drone.yml:347-369: tags '${DRONE_TAG}-alpine', GOARCH=amd64) and has no" +
            " multi-arch manifest; plain v1.62.0 is the scratch image on amd64 (.drone.yml:272-285, 396-416), which has no wget." +
            " Reads REDIS_PASSWORD_FILE (main.go:63).",
    },
    {
        image: "quay.io/prometheuscommunity/pgbouncer-exporter:v0.9.0",
        base: "prometheus/busybox uclibc (quay.io/prometheus/busybox-linux-amd64:latest = busybox:uclibc 1.36.x + CA bundle, zoneinfo)",
        runsAs: {
            user: "nobody",
            uid: 65534,
            gid: 65534,
            source: "prometheus-community/pgbouncer_exporter@v0.9.0 Dockerfile:11 (USER nobody); uid/gid from the busybox base /etc/passwd",
        },
        binaries: {
            "/bin/pgbouncer_exporter": "prometheus-community/pgbouncer_exporter@v0.9.0 Dockerfile:8 (ENTRYPOINT :12)",
            "/bin/wget": BUSYBOX_WGET,
            "/bin/sh": BUSYBOX_SH,
        },
        writes: [],
        notes:
            NO_DROP +
            " The quay.io image is this Dockerfile: Makefile:16,20 (DOCKER_REPO prometheuscommunity, image pgbouncer-exporter) and" +
            " .circleci/config.yml:50-61. Default listen :9127 (pgbouncer_exporter.go:54).",
    },
];

/** The contract of a pinned image reference, if it is one of PUBLIC_IMAGES. */
export function contractFor(image: string): ImageContract | undefined {
    return IMAGE_CONTRACTS.find((c) => c.image === image);
}

/** Pinned images without a contract: empty, or a test fails. */
export function imagesWithoutContract(): string[] {
    return Object.values(PUBLIC_IMAGES).filter((image) => !contractFor(image));
}

/**
 * The `uid:gid` an image already runs as, from its contract, for a Service to state it explicitly. Refuses an image
 * whose contract runs as root: such a service names its non-root user itself, or records why it stays root.
 */
export function imageUser(image: string): string {
    const contract = IMAGE_CONTRACTS.find((c) => c.image === image);
    if (!contract) throw new Error(`no image contract for ${image}`);
    if (contract.runsAs.uid === 0)
        throw new Error(`${image} runs as root by its contract; name the non-root user, or record a rootReason`);
    return `${contract.runsAs.uid}:${contract.runsAs.gid}`;
}

/**
 * BusyBox's `nobody` (65534:65534), present in every image built on the Prometheus BusyBox base (BUSYBOX_BASE above),
 * for an image there that runs as root although it needs nothing root has.
 */
export const BUSYBOX_NOBODY = "65534:65534";
