/** The monitoring tier's images. */
import { ALPINE_SH, ALPINE_WGET, BUSYBOX_SH, BUSYBOX_WGET, ImageContract, NO_DROP } from "./contract";

export const MONITORING_CONTRACTS: readonly ImageContract[] = [
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
