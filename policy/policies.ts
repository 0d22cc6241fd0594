/** Every rule of the pack, in the order they are reported. Kept apart from index.ts, which starts the pack's server. */
import { Policy } from "@pulumi/policy";
import { containerHealthcheck, containerLogRotation, containerRestartPolicy } from "./rules/containerHealth";
import { containerCpuLimit, containerMemoryLimit, containerPidsLimit } from "./rules/containerLimits";
import { containerNoSecretEnv, containerPublishedPorts, imagePinned } from "./rules/containerExposure";
import {
    containerCapabilities,
    containerHostMounts,
    containerHostNamespaces,
    containerNoNewPrivileges,
    containerNonRootUser,
    containerNotPrivileged,
    containerReadOnlyRootfs,
    containerRootExplained,
    containerWritableRootExplained,
} from "./rules/containerSecurity";
import {
    dropletHardening,
    dropletReplacementGuard,
    dropletSize,
    firewallNoWorldSsh,
    firewallPublicPorts,
    statefulProtected,
} from "./rules/digitalocean";
import { backupsAndMonitoring, containersThroughService, memoryBudget } from "./rules/stack";
import { dockerSshHostKeyPinned } from "./rules/hostKeys";
import { caddyAdminRoutesAuthenticated } from "./rules/adminRoutes";
import { containerNoDockerSocket } from "./rules/dockerSocket";

export const POLICIES: Policy[] = [
    containerMemoryLimit,
    containerCpuLimit,
    containerPidsLimit,
    containerHealthcheck,
    containerRestartPolicy,
    containerLogRotation,
    imagePinned,
    containerNotPrivileged,
    containerHostNamespaces,
    containerNoNewPrivileges,
    containerCapabilities,
    containerHostMounts,
    containerNoDockerSocket,
    containerPublishedPorts,
    containerNoSecretEnv,
    caddyAdminRoutesAuthenticated,
    containerRootExplained,
    containerWritableRootExplained,
    containerReadOnlyRootfs,
    containerNonRootUser,
    firewallPublicPorts,
    firewallNoWorldSsh,
    dropletSize,
    dropletHardening,
    dropletReplacementGuard,
    statefulProtected,
    dockerSshHostKeyPinned,
    memoryBudget,
    containersThroughService,
    backupsAndMonitoring,
];
