/**
 * The FreshTrack policy pack. Run it with every preview and update, with the settings of the stack's environment
 * (freshtrack:environment):
 *   pulumi preview --policy-pack ./policy --policy-pack-config ./policy/config/<environment>.json
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("freshtrack", { policies: POLICIES });
