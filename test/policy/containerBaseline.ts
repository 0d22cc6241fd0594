/**
 * The compliant baseline of the container rules' tests: the `backend` container of the shipped prod stack, with the
 * inputs the program registers for it (the program run under mocks on Pulumi.prod.yaml) as the policy server receives
 * them (secrets unpacked: scripts/lib/policyRun.ts fromRegistered). A test changes one property of a copy.
 */
import { ContainerProps } from "../../policy/lib";
import { deployStack } from "../../components/stack";
import { runUnderMocks } from "../../scripts/lib/mockRun";
import { fromRegistered } from "../../scripts/lib/policyRun";
import { loadStackSettings } from "../../scripts/lib/stackFiles";

export const BASELINE_STACK = "prod";
export const BASELINE_SERVICE = "backend";

let registered: Promise<Record<string, unknown>> | undefined;

/** A fresh copy of the baseline's props, typed as the container rules read them. */
export async function containerBaseline(): Promise<ContainerProps & Record<string, unknown>> {
    registered ??= runUnderMocks(loadStackSettings(BASELINE_STACK), deployStack).then(({ resources }) => {
        const backend = fromRegistered(resources).find(
            (r) => r.type === "docker:index/container:Container" && r.name === BASELINE_SERVICE,
        );
        if (!backend) throw new Error(`stack ${BASELINE_STACK} registers no ${BASELINE_SERVICE} container`);
        return backend.props;
    });
    return structuredClone(await registered) as ContainerProps & Record<string, unknown>;
}

/** A copy of `props` with one property set, or removed when `value` is undefined. */
export function withProperty<P extends object>(props: P, property: keyof P, value: unknown): Record<string, unknown> {
    const changed = { ...props } as Record<string, unknown>;
    if (value === undefined) delete changed[property as string];
    else changed[property as string] = value;
    return changed;
}
