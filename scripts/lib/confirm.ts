/** The confirmation restore and rollback ask for: the operator types the stack's name. */
import * as readline from "readline";

/** The operator confirmed only by typing the stack's name exactly. */
export function confirmed(stack: string, answer: string): boolean {
    return answer.trim() === stack;
}

/** What the operator reads before typing: the plan, then the request for the stack name. */
export function stackNamePrompt(stack: string, text: string): string {
    return `${text}\nType the stack name (${stack}) to go ahead: `;
}

/** Prints `prompt` and asks for the stack name; resolves true only on an exact match. */
export function askForStackName(stack: string, prompt: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    return new Promise((resolve) =>
        rl.question(stackNamePrompt(stack, prompt), (answer) => {
            rl.close();
            resolve(confirmed(stack, answer));
        }),
    );
}
