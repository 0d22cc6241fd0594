/** What a pinned image is and does, as read from its own Dockerfile and entrypoint (./index.ts says why). */
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

export const BUSYBOX_WGET =
    "BusyBox applet, hard link in /bin (docker-library/busybox@de921aa latest/uclibc/Dockerfile.builder:258,293-301; via prometheus/busybox uclibc)";
export const BUSYBOX_SH =
    "busybox ash: no /dev/tcp (docker-library/busybox@de921aa latest/uclibc/Dockerfile.builder:293-301)";
export const ALPINE_WGET =
    "symlink to /bin/busybox, alpine 3.20 busybox package (alpinelinux/docker-alpine v3.20 minirootfs; aports main/busybox CONFIG_WGET=y)";
export const ALPINE_SH = "symlink to /bin/busybox (busybox ash: no /dev/tcp, no bash in the image)";
export const NO_DROP =
    "ENTRYPOINT is the program itself: nothing in the image switches user, so it needs no capability.";
