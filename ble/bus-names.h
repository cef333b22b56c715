/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The D-Bus names the bridge talks to: percussd's public contract
 * (shared/design/DBUS.md, common/bus-names.h) and BlueZ's (the doc/ API
 * texts of bluez).
 */

#include "common/bus-names.h"

#define MASSAGER_BUS_NAME BUS_NAME
#define MASSAGER_OBJECT_PATH BUS_PATH
#define MASSAGER_INTERFACE BUS_INTERFACE

/* The bridge's own name, so that a bus policy can let bluetoothd call it. */
#define BLE_BUS_NAME "io.percussd.Ble1"
#define BLE_APP_PATH "/io/percussd/ble/app"
#define BLE_ADVERTISEMENT_PATH "/io/percussd/ble/advertisement"
#define BLE_AGENT_PATH "/io/percussd/ble/agent"

#define BLUEZ_BUS_NAME "org.bluez"
#define BLUEZ_ADAPTER_INTERFACE "org.bluez.Adapter1"
#define BLUEZ_GATT_MANAGER_INTERFACE "org.bluez.GattManager1"
#define BLUEZ_ADVERTISING_MANAGER_INTERFACE "org.bluez.LEAdvertisingManager1"
#define BLUEZ_AGENT_MANAGER_INTERFACE "org.bluez.AgentManager1"
#define BLUEZ_AGENT_MANAGER_PATH "/org/bluez"
#define BLUEZ_GATT_SERVICE_INTERFACE "org.bluez.GattService1"
#define BLUEZ_GATT_CHARACTERISTIC_INTERFACE "org.bluez.GattCharacteristic1"
#define BLUEZ_GATT_DESCRIPTOR_INTERFACE "org.bluez.GattDescriptor1"
#define BLUEZ_ADVERTISEMENT_INTERFACE "org.bluez.LEAdvertisement1"
#define BLUEZ_AGENT_INTERFACE "org.bluez.Agent1"

/* The errors bluetoothd turns into ATT error codes (src/gatt-database.c:
 * Failed 0x80, NotSupported 0x06, InvalidValueLength 0x0D, InvalidOffset
 * 0x07, InProgress 0xFE) and the agent's refusal. */
#define BLUEZ_ERROR_FAILED "org.bluez.Error.Failed"
#define BLUEZ_ERROR_NOT_SUPPORTED "org.bluez.Error.NotSupported"
#define BLUEZ_ERROR_INVALID_VALUE_LENGTH "org.bluez.Error.InvalidValueLength"
#define BLUEZ_ERROR_INVALID_OFFSET "org.bluez.Error.InvalidOffset"
#define BLUEZ_ERROR_IN_PROGRESS "org.bluez.Error.InProgress"
#define BLUEZ_ERROR_REJECTED "org.bluez.Error.Rejected"

/* The owner changes of one name only: a bridge that woke for every client
 * connecting to the bus would not be idle. */
#define NAME_OWNER_MATCH(name) \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus'," \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" name "'"

/* The project's service (docs/ble.md): "percussd" and "ble1" in the low
 * bytes, the characteristic in the first group. */
#define BLE_UUID(n) n "-7065-7263-7573-7364626c6531"
#define BLE_SERVICE_UUID BLE_UUID("9e5d0000")
#define BLE_STATUS_UUID BLE_UUID("9e5d0001")
#define BLE_ROUTINES_UUID BLE_UUID("9e5d0002")
#define BLE_CONTROL_POINT_UUID BLE_UUID("9e5d0003")
#define BLE_HISTORY_UUID BLE_UUID("9e5d0004")
/* Bluetooth SIG assigned numbers on the base UUID */
#define BLE_SIG_UUID(n) "0000" n "-0000-1000-8000-00805f9b34fb"
#define BLE_BATTERY_SERVICE_UUID BLE_SIG_UUID("180f")
#define BLE_BATTERY_LEVEL_UUID BLE_SIG_UUID("2a19")
#define BLE_USER_DESCRIPTION_UUID BLE_SIG_UUID("2901")
