/** Caddy's image. */
import type { ImageContract } from "./contract";

export const EDGE_CONTRACTS: readonly ImageContract[] = [
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
];
