// Deployed entry point: the handler with the production runtime (see handler.ts).
import { createRuntime } from "../_shared/runtime.ts";
import { createHandler } from "./handler.ts";

Deno.serve(createHandler(createRuntime(Deno.env.toObject())));
