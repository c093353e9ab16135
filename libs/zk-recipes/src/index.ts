// The recipes (issue 4) are built on @zk-lab/zk-client; nothing is exported yet.
export {};
