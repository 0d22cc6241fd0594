/**
 * Image contracts (rung 6 of the ladder in the shared design): for every pinned
 * public image, what its own Dockerfile and entrypoint need from the container
 * the program runs it in. The user it runs as, how its entrypoint drops
 * privileges and which capabilities that takes, the binaries its health checks
 * and commands may call, and the paths it writes. test/imageContracts.stack.test.ts
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
import { PUBLIC_IMAGES } from "../images";
import type { ImageContract } from "./contract";
import { DATA_CONTRACTS } from "./data";
import { EDGE_CONTRACTS } from "./edge";
import { MONITORING_CONTRACTS } from "./monitoring";

export type { ImageContract } from "./contract";

export const IMAGE_CONTRACTS: readonly ImageContract[] = [
    ...DATA_CONTRACTS,
    ...EDGE_CONTRACTS,
    ...MONITORING_CONTRACTS,
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
