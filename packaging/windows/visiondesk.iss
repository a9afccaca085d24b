; VisionDesk's Windows installer (Inno Setup 6.3 or newer). Compiled by packaging/build_platforms.py:
;
;   iscc /DAppVersion=0.1.0 /DAppVersionNumeric=0.1.0.0 /DDistDir=build\installer\dist\visiondesk
;        /DOutputDir=dist /DIconFile=build\installer\icons\visiondesk.ico packaging\windows\visiondesk.iss
;
; The version is never written here: it comes from the project (pyproject.toml, read back from the installed
; package by build_platforms.py), like the Linux packages' version.
;
; Per-user install without administrator rights into %LOCALAPPDATA%\Programs\VisionDesk, a Start-menu entry,
; the folder on the user's PATH (so `visiondesk ask ...` works in a terminal), and an uninstaller that keeps
; the user's conversations, settings and models unless asked to delete them.

#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is needed (x64compatible)
#endif
#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=... (packaging/build_platforms.py does)
#endif
#ifndef AppVersionNumeric
  #error Pass the numeric file version: iscc /DAppVersionNumeric=N.N.N.N (packaging/build_platforms.py does)
#endif
#ifndef DistDir
  #error Pass the frozen one-folder app: iscc /DDistDir=... (packaging/build_platforms.py does)
#endif
#ifndef OutputDir
  #define OutputDir "."
#endif

#define AppName "VisionDesk"
; The console executable is the command line (and the engine process); its windowed twin, built from the same
; spec, starts the window without a console window (packaging/visiondesk.spec).
#define CliExe "visiondesk.exe"
#define GuiExe "visiondeskw.exe"
; platformdirs.user_data_dir("VisionDesk", appauthor=False) on Windows (core/paths.py): outside {app}, so an
; update or a reinstall never touches it.
#define UserDataDir "{localappdata}\VisionDesk"
#define ImageProgId "VisionDesk.Image"

[Setup]
; The AppId ties updates and the uninstaller to earlier installs: never change it.
AppId={{AD26A07B-9396-47D5-AE0F-40A0658F468C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductVersion={#AppVersionNumeric}
VersionInfoProductTextVersion={#AppVersion}
; No administrator rights, ever: {userpf} is %LOCALAPPDATA%\Programs in this mode, {autoprograms} the user's
; Start menu, and registry entries go to HKEY_CURRENT_USER.
PrivilegesRequired=lowest
DefaultDirName={userpf}\{#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern
OutputDir={#OutputDir}
OutputBaseFilename=VisionDesk-{#AppVersion}-windows-x64-setup
#ifdef IconFile
SetupIconFile={#IconFile}
#endif
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
LZMAUseSeparateProcess=yes
ChangesEnvironment=yes
ChangesAssociations=yes
; A running VisionDesk (window, engine process or `visiondesk serve`) holds its DLLs open: ask to close it.
CloseApplications=yes
RestartApplications=no
#ifdef SignInstaller
; Authenticode: iscc is given the command as "/Ssigntool=..." (build_platforms.py does it from
; $WINDOWS_SIGN_COMMAND; packaging/README.md). Setup, the uninstaller and the two executables are signed.
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
english.AddToPath=Add VisionDesk to my PATH (the `visiondesk` command in a terminal)
english.OpenWith=Offer VisionDesk in "Open with" for images (your default image viewer stays)
english.ImageType=Image (VisionDesk)
english.DeleteUserData=Also delete your conversations, settings and downloaded models?%n%n%1%n%nChoose No to keep them for a later install.

[Tasks]
Name: "addtopath"; Description: "{cm:AddToPath}"
Name: "openwith"; Description: "{cm:OpenWith}"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update installs into the same folder: remove the previous bundle first, so no library of an older
; version stays behind (ggml loads every ggml-*.dll backend module it finds there).
Type: filesandordirs; Name: "{app}\_internal"

[UninstallDelete]
; Whatever the app wrote into its own folder after the install goes with it (user data lives elsewhere).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
#ifdef SignInstaller
Source: "{#DistDir}\{#CliExe}"; DestDir: "{app}"; Flags: ignoreversion signonce
Source: "{#DistDir}\{#GuiExe}"; DestDir: "{app}"; Flags: ignoreversion signonce
Source: "{#DistDir}\*"; DestDir: "{app}"; Excludes: "\{#CliExe},\{#GuiExe}"; Flags: ignoreversion recursesubdirs createallsubdirs
#else
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#endif

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NotOnUserPath
; "Open with" for the image types the Linux package's .desktop entry declares (packaging/linux_package.py,
; MIME_TYPES): `visiondesk app IMAGE` attaches the image. Listed only (OpenWithProgids), never made the default.
Root: HKA; Subkey: "Software\Classes\{#ImageProgId}"; ValueType: string; ValueName: ""; ValueData: "{cm:ImageType}"; Flags: uninsdeletekey; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\{#ImageProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\{#ImageProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" app ""%1"""; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.png\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.webp\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.gif\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.bmp\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.tif\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.tiff\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.heic\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.avif\OpenWithProgids"; ValueType: string; ValueName: "{#ImageProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: openwith

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function UserPath(var Value: String): Boolean;
begin
  Result := RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Value);
end;

function NotOnUserPath: Boolean;
var
  Value: String;
begin
  if not UserPath(Value) then
    Result := True
  else
    Result := Pos(';' + Uppercase(ExpandConstant('{app}')) + ';', ';' + Uppercase(Value) + ';') = 0;
end;

procedure RemoveFromUserPath(Dir: String);
var
  Value, Padded, Item: String;
  At: Integer;
begin
  if not UserPath(Value) then
    exit;
  Padded := ';' + Value + ';';
  Item := ';' + Dir + ';';
  At := Pos(Uppercase(Item), Uppercase(Padded));
  if At = 0 then
    exit;
  { Drop ";Dir" and keep the separator that followed it. }
  Delete(Padded, At, Length(Item) - 1);
  RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Copy(Padded, 2, Length(Padded) - 2));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usUninstall then
    RemoveFromUserPath(ExpandConstant('{app}'));
  if CurUninstallStep = usPostUninstall then
  begin
    { The user's data is never removed silently: a silent uninstall (an update script, a managed machine)
      keeps it, and the question defaults to No. }
    DataDir := ExpandConstant('{#UserDataDir}');
    if DirExists(DataDir) and not UninstallSilent then
      if MsgBox(FmtMessage(CustomMessage('DeleteUserData'), [DataDir]), mbConfirmation,
                MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
