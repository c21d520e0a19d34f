#!/usr/bin/env bash
# Makes sure Redis (6379) and RabbitMQ (5672) answer on loopback; starts local ones when the
# binaries exist. Production points RAGCHAT_REDIS_URL / RAGCHAT_AMQP_URL elsewhere instead.
set -u
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Debian installs the servers in sbin, which a bare PATH (CI, env -i) may leave out.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
wait_for() { for _ in $(seq 1 60); do answers "$1" && return 0; sleep 1; done; return 1; }

if ! answers 6379; then
  if command -v redis-server >/dev/null; then
    echo "starting redis-server" >&2
    mkdir -p /tmp/ragchat-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/ragchat-redis >/dev/null
    wait_for 6379 || { echo "redis did not start" >&2; exit 1; }
  else
    echo "Redis does not answer on 127.0.0.1:6379 and redis-server is not installed" >&2; exit 1
  fi
fi
if ! answers 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "starting rabbitmq-server" >&2
    rabbitmq-server -detached >/dev/null 2>&1
    wait_for 5672 || { echo "rabbitmq did not start" >&2; exit 1; }
  else
    echo "RabbitMQ does not answer on 127.0.0.1:5672 and rabbitmq-server is not installed" >&2; exit 1
  fi
fi
echo "redis and rabbitmq answer" >&2
