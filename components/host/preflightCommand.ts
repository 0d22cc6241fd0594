import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "./host";

/**
 * Runs the pre-flight script on a remote host as the deploy user. Containers
 * wait for it (it is part of Host.ready); a failed check fails the update
 * before any container is created or changed.
 */
export function preflightCommand(
    name: string,
    args: {
        connection: HostConnection;
        script: pulumi.Output<string>;
        trigger: string;
        dependsOn: pulumi.Resource[];
        parent: pulumi.Resource;
    },
): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: { ...args.connection },
            create: "sh -s",
            stdin: args.script,
            // Runs again when the checks change or a new release is deployed.
            triggers: [args.script, args.trigger],
        },
        { parent: args.parent, dependsOn: args.dependsOn },
    );
}
