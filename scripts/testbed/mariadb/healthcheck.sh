#!/bin/sh
# Healthy once the server answers on TCP (after initialisation, which runs without networking).
exec mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1
