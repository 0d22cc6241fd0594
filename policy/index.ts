/**
 * The FreshTrack policy pack. Run it with every preview and update:
 *   pulumi preview --policy-pack ./policy --policy-pack-config ./policy/config/<stack>.json
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("freshtrack", { policies: POLICIES });
