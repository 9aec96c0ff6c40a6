#!/bin/bash
set -euo pipefail
datadir=/var/lib/mysql
root_pw=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
database=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
user=${MARIADB_USER:-${MYSQL_USER:-}}
password=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}

if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 120); do mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break; sleep 0.25; done
  {
    [ -n "$root_pw" ] && printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\nCREATE USER 'root'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n" "$root_pw" "$root_pw"
    [ -n "$database" ] && printf 'CREATE DATABASE IF NOT EXISTS `%s`;\n' "$database"
    if [ -n "$user" ]; then
      printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n" "$user" "$password"
      [ -n "$database" ] && printf 'GRANT ALL ON `%s`.* TO '"'"'%s'"'"'@'"'"'%%'"'"';\n' "$database" "$user"
    fi
    echo 'FLUSH PRIVILEGES;'
  } | mariadb --socket=/run/mysqld/init.sock
  kill "$pid"
  wait "$pid" || true
fi
if [ "${1:-}" = mariadbd ]; then
  shift
  exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 "$@"
fi
exec "$@"
