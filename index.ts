/**
 * FreshTrack Pro: the whole stack, layer by layer (see docs/architecture.md).
 * Config is read and validated first; nothing is registered if it is wrong.
 */
import { deployStack } from "./components/stack";

const deployed = deployStack();

export const target = deployed.target;
export const domain = deployed.domain;
export const publicAddress = deployed.publicAddress;
export const deployPrivateKey = deployed.deployPrivateKey;
export const hostKey = deployed.hostKey;
export const publicIpv6 = deployed.publicIpv6;
export const dnsRecords = deployed.dnsRecords;
export const urls = deployed.urls;
export const alertDestinations = deployed.alertDestinations;
export const verificationReport = deployed.verificationReport;
export const adminPassword = deployed.adminPassword;
export const grafanaAdminPassword = deployed.grafanaAdminPassword;
export const generatedCredentials = deployed.generatedCredentials;
export const caCertificate = deployed.caCertificate;
export const dataEndpoints = deployed.dataEndpoints;
export const containers = deployed.containers;
export const volumes = deployed.volumes;
