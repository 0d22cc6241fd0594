/** The data tier's images: PostgreSQL, PgBouncer, Redis, MinIO and mc. */
import type { ImageContract } from "./contract";

/**
 * PostgreSQL's programs the image installs: `make install-world-bin` with --prefix=/usr/local (pg:135,152-153) installs
 * every program of src/bin. pgsrc-bin: postgres/postgres@97060928 src/bin/Makefile:16-35, SUBDIRS; pgsrc-bb:
 * postgres/postgres@50e6eb73 src/bin/pg_basebackup/meson.build (the copies stored here, of 2021 and 2025; REL_17_11
 * itself is not stored, and these programs have been in src/bin under these names since PostgreSQL 10).
 */
const PG_SRC_BIN = "make install-world-bin, pg:135,152-153";

export const DATA_CONTRACTS: readonly ImageContract[] = [
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
            // Point-in-time recovery (components/services/pitrScripts.ts, pitrRestoreScript.ts, drillScript.ts):
            // PostgreSQL's own programs, then the applets its scripts call that nothing above does.
            "/usr/local/bin/pg_receivewal": `${PG_SRC_BIN}; built beside pg_basebackup, pgsrc-bb:64-70`,
            "/usr/local/bin/pg_basebackup": `${PG_SRC_BIN}; pgsrc-bin:20, pgsrc-bb:27-33`,
            "/usr/local/bin/pg_waldump": `${PG_SRC_BIN}; pgsrc-bin:32`,
            "/usr/local/bin/pg_archivecleanup": `${PG_SRC_BIN}; pgsrc-bin:19`,
            "/usr/local/bin/pg_ctl": `${PG_SRC_BIN}; pgsrc-bin:24; the image's own entrypoint runs it (pg-ep:298)`,
            "/usr/local/bin/initdb": `${PG_SRC_BIN}; pgsrc-bin:17; the image's own entrypoint runs it (pg-ep:92)`,
            "/bin/chmod": "busybox applet; abc CONFIG_CHMOD=y; bb coreutils/chmod.c:18",
            "/bin/cp": "busybox applet; abc CONFIG_CP=y; bb coreutils/cp.c:33",
            "/bin/ln": "busybox applet; abc CONFIG_LN=y; bb coreutils/ln.c:15 (-s and -T: :27,32,64)",
            "/bin/mktemp": "busybox applet; abc CONFIG_MKTEMP=y; bb coreutils/mktemp.c:37 (-d: :83-94,119)",
            "/bin/rmdir": "busybox applet; abc CONFIG_RMDIR=y; bb coreutils/rmdir.c:15",
            "/bin/sed": "busybox applet; abc CONFIG_SED=y; bb editors/sed.c:63",
            "/bin/sleep": "busybox applet; abc CONFIG_SLEEP=y; bb coreutils/sleep.c:37 (ash has no sleep builtin here)",
            "/bin/tar":
                "busybox applet; abc CONFIG_TAR=y, CONFIG_FEATURE_SEAMLESS_GZ=y (-z: bb archival/tar.c:997); bb archival/tar.c:114",
            "/usr/bin/dirname": "busybox applet; abc CONFIG_DIRNAME=y; bb coreutils/dirname.c:16",
            "/usr/bin/md5sum": "busybox applet; abc CONFIG_MD5SUM=y; bb coreutils/md5_sha1_sum.c:50",
            "/usr/bin/readlink": "busybox applet; abc CONFIG_READLINK=y; bb coreutils/readlink.c:23",
            "/usr/bin/sort": "busybox applet; abc CONFIG_SORT=y; bb coreutils/sort.c:40",
            "/usr/bin/tail": "busybox applet; abc CONFIG_TAIL=y; bb coreutils/tail.c:40",
            "/usr/bin/test":
                "busybox applet; abc CONFIG_TEST=y; bb coreutils/test.c:49 (a file as well as ash's builtin: gosu execs it)",
            "/usr/bin/tr": "busybox applet; abc CONFIG_TR=y; bb coreutils/tr.c:47",
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
            "and /var/run/crond.reboot (/var/run -> /run; bb crond.c:93,1065) and, without -d or -L, logs only to syslog (bb crond.c:1049-1053). " +
            "What the point-in-time recovery scripts ask of the applets: `date -d 'YYYY-MM-DD HH:MM:SS'` and `date -d @<seconds>` " +
            "(bb coreutils/date.c:176-183, `d:` always; with abc CONFIG_DESKTOP=y, libbb/time.c:23-39 tries strptime " +
            "'%Y-%m-%d %T' among others, and :137-149 reads '@'), `-u` as TZ=UTC0 (bb date.c:188-189), `date -r <file>` " +
            "(bb date.c:177,244-246); `ls -ln` (bb coreutils/ls.c:210, numeric owners :518-525) and `ls -1t` (abc " +
            "CONFIG_FEATURE_LS_TIMESTAMPS=y for -t, bb ls.c:215,263, and CONFIG_FEATURE_LS_SORTFILES=y to sort, :858-879); `$((...))` on microseconds since the epoch, past " +
            "2^31 (abc CONFIG_FEATURE_SH_MATH_64=y). tar run as a user other than root does not restore modes (bb " +
            "archival/tar.c:951-952), so what it unpacks gets the caller's umask (077 in the scripts: 0700 directories, 0600 " +
            "files, which PostgreSQL takes for a data directory). gosu looks its command up on PATH and execs it " +
            "(tianon/gosu@04fac5a0 main.go:80-85, the stored copy), so what the scripts run through it must be a file: " +
            "/usr/bin/test, not only ash's builtin. Where the shell cannot be read for its commands (PostgreSQL runs " +
            "restore_command through /bin/sh -c), cp is listed above for it.",
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
];
