/*
 * logs.h -- `mident containerapp logs show`: the stdout/stderr logs of an
 * app's replicas, read from the data directory the agent writes
 * (DATA/replicas/RG/APP/REPLICA/{stdout,stderr}.log).
 *
 * Works on the data directory directly (like `mident audit`), so it runs
 * on the node where the agent runs. Not thread-safe (one command per
 * process).
 */
#ifndef MID_AGENT_LOGS_H
#define MID_AGENT_LOGS_H

/* argv after "logs": show -n APP -g RG [--replica NAME] [--tail N]
 * [--type stdout|stderr|all] [--follow]. Returns the exit status. */
int cmd_containerapp_logs(const char *data_dir, int argc, char **argv);

#endif
