# server-test targets
