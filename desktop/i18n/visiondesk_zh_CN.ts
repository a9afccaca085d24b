<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>AppShell</name>
        <message>
            <location filename="../shell.py" line="73" />
            <source>Open GGUF files…</source>
            <translation>打开 GGUF 文件…</translation>
        </message>
        <message>
            <location filename="../shell.py" line="74" />
            <source>Manage models…</source>
            <translation>管理模型…</translation>
        </message>
        <message>
            <location filename="../shell.py" line="160" />
            <source>You</source>
            <translation>你</translation>
        </message>
        <message>
            <location filename="../shell.py" line="160" />
            <source>Assistant</source>
            <translation>助手</translation>
        </message>
        <message>
            <location filename="../shell.py" line="160" />
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <location filename="../shell.py" line="161" />
            <source>Model: %1</source>
            <translation>模型：%1</translation>
        </message>
        <message>
            <location filename="../shell.py" line="161" />
            <source>(incomplete answer)</source>
            <translation>（回答不完整）</translation>
        </message>
        <message>
            <location filename="../shell.py" line="162" />
            <source>Conversation %1</source>
            <translation>对话 %1</translation>
        </message>
        <message>
            <location filename="../shell.py" line="175" />
            <source>Export as Markdown into a folder</source>
            <translation>导出为 Markdown（选择文件夹）</translation>
        </message>
        <message>
            <location filename="../shell.py" line="184" />
            <source>Export as JSON</source>
            <translation>导出为 JSON</translation>
        </message>
        <message>
            <location filename="../shell.py" line="193" />
            <source>Exported to %1</source>
            <translation>已导出到 %1</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/shell.py" line="129" />
            <source>Ser&amp;vers…</source>
            <translation>服务器(&amp;V)…</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/shell.py" line="130" />
            <source>&amp;Model</source>
            <translation>模型(&amp;M)</translation>
        </message>
        <message>
            <location filename="../shell.py" />
            <source>Other versions of this answer (%1)</source>
            <translation>此回答的其他版本（%1）</translation>
        </message>
    </context>
    <context>
        <name>ChatController</name>
        <message>
            <location filename="../controllers/chat.py" line="107" />
            <source>Incomplete: VisionDesk closed while this answer was being written.</source>
            <translation>未完成：生成此回答时 VisionDesk 已关闭。</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="111" />
            <source>Stopped.</source>
            <translation>已停止。</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="123" />
            <source>Images</source>
            <translation>图片</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="154" />
            <source>Waiting for the model…</source>
            <translation>正在等待模型…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="207" />
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="208" />
            <source>Looking at image %1 of %2…</source>
            <translation>正在查看第 %1 张图片（共 %2 张）…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="209" />
            <source>Looking at the image…</source>
            <translation>正在查看图片…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="210" />
            <source>Reading…</source>
            <translation>正在阅读…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" line="211" />
            <source>Writing…</source>
            <translation>正在书写…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" />
            <source>The conversation is longer than the context: leaving out its oldest turns…</source>
            <translation>对话长度超出上下文：正在略去最早的对话轮次…</translation>
        </message>
        <message>
            <location filename="../controllers/chat.py" />
            <source>The model cannot see images, so %1 image(s) of this conversation were left out of what it read.</source>
            <translation>当前模型无法识别图片，因此本对话中的 %1 张图片未被模型读取。</translation>
        </message>
    </context>
    <context>
        <name>ComposerController</name>
        <message>
            <location filename="../controllers/composer.py" line="111" />
            <source>Remove %1</source>
            <translation>移除 %1</translation>
        </message>
        <message>
            <location filename="../controllers/composer.py" line="131" />
            <source>Attach images</source>
            <translation>附加图片</translation>
        </message>
        <message>
            <location filename="../controllers/composer.py" />
            <source>The pasted image could not be read: its data (%1) is not a picture VisionDesk can open. Nothing was attached; try copying it again, or save it as a file and attach that.</source>
            <translation>无法读取粘贴的图片：其数据（%1）不是 VisionDesk 能打开的图片。未附加任何内容；请重新复制，或先将其保存为文件再附加。</translation>
        </message>
        <message>
            <source>Choose pages</source>
            <translation>选择页面</translation>
        </message>
        <message>
            <source>Pages of %1 to attach (it has %2; %3 at most), such as 3-5, 9:</source>
            <translation>要附加的 %1 页码（共 %2 页；最多 %3 页），例如 3-5, 9：</translation>
        </message>
        <message>
            <source>Only the first %1 of the %2 pages of %3 were attached: a model answers about a few images far better than about many. Choose the pages to ask about.</source>
            <translation>只附加了 %3 共 %2 页中的前 %1 页：模型对少量图片的回答远好于对大量图片。请选择要询问的页面。</translation>
        </message>
    </context>
    <context>
        <name>ConversationsController</name>
        <message>
            <location filename="../controllers/conversations.py" line="66" />
            <source>Today</source>
            <translation>今天</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="66" />
            <source>Yesterday</source>
            <translation>昨天</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="67" />
            <source>Earlier this week</source>
            <translation>本周早些时候</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="67" />
            <source>Older</source>
            <translation>更早</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="71" />
            <source>New chat</source>
            <translation>新对话</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="130" />
            <source>Conversation deleted.</source>
            <translation>对话已删除。</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="131" />
            <source>Undo</source>
            <translation>撤销</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="132" />
            <source>Undo delete</source>
            <translation>撤销删除</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="164" />
            <source>Rename</source>
            <translation>重命名</translation>
        </message>
        <message>
            <location filename="../controllers/conversations.py" line="165" />
            <source>Delete</source>
            <translation>删除</translation>
        </message>
    </context>
    <context>
        <name>DownloadQueue</name>
        <message>
            <location filename="../controllers/download_queue.py" line="113" />
            <source>Checking…</source>
            <translation>正在检查…</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="64" />
            <source>Looking up the files…</source>
            <translation>正在查找文件…</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="82" />
            <location filename="../controllers/download_queue.py" line="113" />
            <source>Waiting</source>
            <translation>等待中</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="114" />
            <source>Downloading</source>
            <translation>正在下载</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="114" />
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="115" />
            <source>Verifying…</source>
            <translation>正在校验…</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="115" />
            <source>Installed</source>
            <translation>已安装</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="116" />
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="116" />
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="122" />
            <source>%1 of %2</source>
            <translation>%1 / %2</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="125" />
            <source>%1/s</source>
            <translation>%1/秒</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="127" />
            <source>%1 left</source>
            <translation>剩余 %1</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="136" />
            <source>Cancelled; the partial files were deleted.</source>
            <translation>已取消；未下载完的文件已删除。</translation>
        </message>
        <message>
            <location filename="../controllers/download_queue.py" line="141" />
            <source>Installed as %1.</source>
            <translation>已安装为 %1。</translation>
        </message>
    </context>
    <context>
        <name>DownloadRow</name>
        <message>
            <location filename="../views/model_manager_dialog.py" line="89" />
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="89" />
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="90" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="93" />
            <source>Download progress of %1</source>
            <translation>%1 的下载进度</translation>
        </message>
    </context>
    <context>
        <name>EngineErrors</name>
        <message>
            <location filename="../error_text.py" line="26" />
            <source>The file %1 does not exist. Check the path, or download it again from the model manager.</source>
            <translation>文件 %1 不存在。请检查路径，或在模型管理器中重新下载。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="29" />
            <source>%1 is not a GGUF file: choose the .gguf file itself.</source>
            <translation>%1 不是 GGUF 文件：请选择 .gguf 文件本身。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="30" />
            <source>%1 is not a GGUF file. VisionDesk needs .gguf model files.</source>
            <translation>%1 不是 GGUF 文件。VisionDesk 需要 .gguf 模型文件。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="31" />
            <source>%1 is truncated or damaged. The download probably stopped early: delete it and download it again.</source>
            <translation>%1 不完整或已损坏，可能是下载中途停止了：请删除后重新下载。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="34" />
            <source>%1 uses the architecture '%2', which this version of VisionDesk does not support. Choose another model.</source>
            <translation>%1 使用的架构“%2”不受此版本 VisionDesk 支持。请选择其他模型。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="37" />
            <source>%1 is not the right kind of file here: pass the model as the model and the file whose name contains 'mmproj' as the projector.</source>
            <translation>%1 放错了位置：模型文件应作为模型，名称中含“mmproj”的文件应作为投影器。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="40" />
            <source>The projector %1 does not belong to the model %2. Use the mmproj file published with this model.</source>
            <translation>投影器 %1 与模型 %2 不匹配。请使用随该模型发布的 mmproj 文件。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="43" />
            <source>%1 was loaded without a vision projector, so it cannot see images. Load it together with its mmproj file, or remove the images from the message.</source>
            <translation>%1 加载时没有视觉投影器，因此无法识别图片。请与其 mmproj 文件一起加载，或从消息中移除图片。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="46" />
            <source>The conversation is %1 tokens long, but the context holds %2. Start a new chat, or raise the context size in the settings.</source>
            <translation>对话长度为 %1 个 token，但上下文只能容纳 %2 个。请开始新对话，或在设置中增大上下文长度。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="49" />
            <source>%1 has no chat template (it may be a base model). Use an instruction-tuned model.</source>
            <translation>%1 没有对话模板（可能是基础模型）。请使用指令微调的模型。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="51" />
            <source>The model process stopped unexpectedly. The model file may be damaged or memory ran out. Your conversation is kept; the next message restarts the model.</source>
            <translation>模型进程意外停止，可能是模型文件损坏或内存不足。对话已保留；发送下一条消息时会重新启动模型。</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="54" />
            <source>Cannot use the image %1: %2</source>
            <translation>无法使用图片 %1：%2</translation>
        </message>
        <message>
            <location filename="../error_text.py" line="70" />
            <source>The model</source>
            <translation>该模型</translation>
        </message>
        <message>
            <source>The JSON schema cannot be used: generation cannot follow %1 at %2. Simplify the schema.</source>
            <translation>无法使用该 JSON 模式：生成时无法遵循 %2 处的 %1。请简化该模式。</translation>
        </message>
        <message>
            <source>The answer is not valid JSON for the schema (%1). Try again, or allow more tokens.</source>
            <translation>回答不是符合该模式的有效 JSON（%1）。请重试，或允许更长的回答。</translation>
        </message>
        <message>
            <source>The model process stopped answering (nothing for %1 s), so it was stopped. Your conversation is kept; try again. If it happens again, choose a smaller model or a smaller context size.</source>
            <translation>模型进程停止响应（%1 秒内没有任何输出），已被停止。对话已保留，请重试。如果再次发生，请选择更小的模型或更小的上下文长度。</translation>
        </message>
        <message>
            <source>The model process and VisionDesk did not understand each other. This is a bug in VisionDesk; the next message restarts the model.</source>
            <translation>模型进程与 VisionDesk 通信出错。这是 VisionDesk 的缺陷；发送下一条消息时会重新启动模型。</translation>
        </message>
        <message>
            <source>The model was closed; load it again to continue.</source>
            <translation>模型已关闭；请重新加载后继续。</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>any error, its own message</comment>
            <translation>出错了：%1</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>unusable input, its own message</comment>
            <translation>无法使用：%1</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>a model load failed, llama.cpp's words</comment>
            <translation>模型加载失败：%1</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>the model process failed, its words</comment>
            <translation>模型进程出错：%1</translation>
        </message>
        <message>
            <source>%1 is not an allowed value here. Enter a number within the setting's range.</source>
            <translation>%1 不是允许的值。请输入该设置允许范围内的数字。</translation>
        </message>
        <message>
            <source>the file does not exist.</source>
            <translation>文件不存在。</translation>
        </message>
        <message>
            <source>it stopped being a regular file while it was being opened.</source>
            <translation>打开时它已不再是普通文件。</translation>
        </message>
        <message>
            <source>it is %1; images larger than %2 are not accepted. Scale it down or save it in a compressed format (JPEG, PNG).</source>
            <translation>它有 %1，超过 %2 的图片不被接受。请缩小图片，或保存为压缩格式（JPEG、PNG）。</translation>
        </message>
        <message>
            <source>it cannot be read (%1).</source>
            <translation>无法读取它（%1）。</translation>
        </message>
        <message>
            <source>no file or data was given.</source>
            <translation>没有提供文件或数据。</translation>
        </message>
        <message>
            <source>it has %1×%2 pixels; the limit is %3 pixels. Scale it down first.</source>
            <translation>它有 %1×%2 像素，上限是 %3 像素。请先缩小图片。</translation>
        </message>
        <message>
            <source>it claims %1×%2 pixels in a file of only %3, so it is not safe to open.</source>
            <translation>它声称有 %1×%2 像素，文件却只有 %3，打开它不安全。</translation>
        </message>
        <message>
            <source>it claims more than twice the limit of %1 pixels, so it is not safe to open.</source>
            <translation>它声称的像素数超过上限 %1 的两倍，打开它不安全。</translation>
        </message>
        <message>
            <source>the file is empty (0 bytes).</source>
            <translation>文件是空的（0 字节）。</translation>
        </message>
        <message>
            <source>it starts like an image but is damaged or truncated; copy or download it again.</source>
            <translation>它看起来是图片，但已损坏或不完整，请重新复制或下载。</translation>
        </message>
        <message>
            <source>it is not an image VisionDesk can read (PNG, JPEG, WebP, GIF, BMP, TIFF and similar work).</source>
            <translation>VisionDesk 无法读取这种图片（支持 PNG、JPEG、WebP、GIF、BMP、TIFF 等格式）。</translation>
        </message>
        <message>
            <source>the file is damaged (%1).</source>
            <translation>文件已损坏（%1）。</translation>
        </message>
        <message>
            <source>the file is truncated or damaged (%1).</source>
            <translation>文件不完整或已损坏（%1）。</translation>
        </message>
        <message>
            <source>it is only %1×%2 pixels; nothing can be seen in it.</source>
            <translation>它只有 %1×%2 像素，看不出任何内容。</translation>
        </message>
        <message>
            <source>there is not enough memory to open it; close other programs or scale it down first.</source>
            <translation>内存不足，无法打开它。请关闭其他程序，或先缩小图片。</translation>
        </message>
        <message>
            <source>its pixels could not be converted to RGB.</source>
            <translation>无法将它的像素转换为 RGB。</translation>
        </message>
        <message>
            <source>it changed while the answer was being prepared; send it again.</source>
            <translation>准备回答时它发生了变化，请重新发送。</translation>
        </message>
        <message>
            <source>Offline mode is on (HF_HUB_OFFLINE), so nothing can be downloaded. Unset HF_HUB_OFFLINE to download, or import a GGUF file you already have.</source>
            <translation>离线模式已开启（HF_HUB_OFFLINE），因此无法下载。请取消 HF_HUB_OFFLINE 后再下载，或导入你已有的 GGUF 文件。</translation>
        </message>
        <message>
            <source>%1 is gated: accept its license on the Hub and set HF_TOKEN to a token of that account.</source>
            <translation>%1 需要授权访问：请在 Hub 上接受其许可协议，并将 HF_TOKEN 设为该账号的令牌。</translation>
        </message>
        <message>
            <source>The Hub at %1 answered %2 again and again. It is probably busy or down for maintenance: try again in a few minutes.</source>
            <translation>%1 上的 Hub 多次返回 %2，可能正忙或在维护：请几分钟后重试。</translation>
        </message>
        <message>
            <source>The Hub at %1 refused the request with %2.</source>
            <translation>%1 上的 Hub 拒绝了请求（%2）。</translation>
        </message>
        <message>
            <source>Cannot reach the Hub at %1. Check the connection, proxy settings or HF_ENDPOINT.</source>
            <translation>无法连接到 %1 上的 Hub。请检查网络连接、代理设置或 HF_ENDPOINT。</translation>
        </message>
        <message>
            <source>%1 has no mmproj (vision projector) GGUF file, so VisionDesk cannot see images with it. Pick a repository that publishes an mmproj file.</source>
            <translation>%1 没有 mmproj（视觉投影器）GGUF 文件，VisionDesk 无法用它识别图片。请选择一个发布了 mmproj 文件的仓库。</translation>
        </message>
        <message>
            <source>%1 has no %2 model file (it offers: %3).</source>
            <translation>%1 没有 %2 的模型文件（它提供：%3）。</translation>
        </message>
        <message>
            <source>%1 has no model GGUF file.</source>
            <translation>%1 没有模型 GGUF 文件。</translation>
        </message>
        <message>
            <source>The disk filled up during the download: %1 needs %2 but has %3 free. Free some space and resume; what was downloaded is kept.</source>
            <translation>下载过程中磁盘已满：%1 需要 %2，但只剩 %3 可用空间。请释放一些空间后继续下载；已下载的部分会保留。</translation>
        </message>
        <message>
            <source>Not enough free disk space: %1 needs %2 but has %3 free. Free some space and try again.</source>
            <translation>磁盘空间不足：%1 需要 %2，但只剩 %3 可用空间。请释放一些空间后重试。</translation>
        </message>
        <message>
            <source>Downloading %1 failed %2 times in a row. %3 are kept: download it again later to continue from there.</source>
            <translation>下载 %1 连续失败 %2 次。已保留 %3：稍后再次下载即可从断点继续。</translation>
        </message>
        <message>
            <source>Downloading %1 failed %2 times in a row. Nothing was kept; try again later.</source>
            <translation>下载 %1 连续失败 %2 次，没有保留任何内容；请稍后重试。</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>the model manager's error, its own message</comment>
            <translation>模型管理器出错：%1</translation>
        </message>
        <message>
            <source>The repository %1 was not found. Check the name; if it is private or gated, set HF_TOKEN to a token that may read it.</source>
            <translation>找不到仓库 %1。请检查名称；如果它是私有的或需要授权，请将 HF_TOKEN 设为有权读取它的令牌。</translation>
        </message>
        <message>
            <source>%1 is corrupt: its checksum differs from the one the Hub published. The damaged file was deleted; download it again.</source>
            <translation>%1 已损坏：它的校验和与 Hub 公布的不一致。损坏的文件已删除，请重新下载。</translation>
        </message>
        <message>
            <source>%1 is already being downloaded into %2 by another VisionDesk window or command. Let that one finish (or pause it there) and try again; nothing was changed.</source>
            <translation>另一个 VisionDesk 窗口或命令正在将 %1 下载到 %2。请等它完成（或在那里暂停）后再试；这里没有做任何更改。</translation>
        </message>
        <message>
            <source>The download was cancelled.</source>
            <translation>下载已取消。</translation>
        </message>
        <message>
            <source>No installed model is called '%1'. The model manager lists the installed models.</source>
            <translation>没有名为“%1”的已安装模型。模型管理器中列出了已安装的模型。</translation>
        </message>
        <message>
            <source>The server at %1 refused the request (%2). It needs an API key: add the key to this server's settings.</source>
            <translation>%1 的服务器拒绝了请求（%2）。它需要 API 密钥：请在该服务器的设置中添加密钥。</translation>
        </message>
        <message>
            <source>The server at %1 refused the request (%2). The key was accepted but is not allowed to use this model; ask the server's administrator.</source>
            <translation>%1 的服务器拒绝了请求（%2）。密钥有效，但无权使用此模型；请联系服务器管理员。</translation>
        </message>
        <message>
            <source>The server at %1 refused the request (%2). Check the API key in this server's settings; it may be mistyped or revoked.</source>
            <translation>%1 的服务器拒绝了请求（%2）。请检查该服务器设置中的 API 密钥，它可能输错了或已被撤销。</translation>
        </message>
        <message>
            <source>The server at %1 has no model called '%2', and it lists no models.</source>
            <translation>%1 的服务器上没有名为“%2”的模型，而且它没有列出任何模型。</translation>
        </message>
        <message>
            <source>The server at %1 has no model called '%2'. It has: %3. Pick one of these (names are exact, case included).</source>
            <translation>%1 的服务器上没有名为“%2”的模型。它提供：%3。请从中选择一个（名称须完全一致，包括大小写）。</translation>
        </message>
        <message>
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <source>%1 minutes</source>
            <translation>%1 分钟</translation>
        </message>
        <message>
            <source>%1 hours</source>
            <translation>%1 小时</translation>
        </message>
        <message>
            <source>The server at %1 is busy with too many requests. Wait a little and try again.</source>
            <translation>%1 的服务器请求过多，正忙。请稍等后重试。</translation>
        </message>
        <message>
            <source>The server at %1 is busy with too many requests. Try again in %2.</source>
            <translation>%1 的服务器请求过多，正忙。请在 %2后重试。</translation>
        </message>
        <message>
            <source>The server at %1 failed. This is a problem on the server; try again, or look at the server's log.</source>
            <translation>%1 的服务器出错了。这是服务器端的问题：请重试，或查看服务器日志。</translation>
        </message>
        <message>
            <source>The server at %1 failed (%2). This is a problem on the server; try again, or look at the server's log.</source>
            <translation>%1 的服务器出错了（%2）。这是服务器端的问题：请重试，或查看服务器日志。</translation>
        </message>
        <message>
            <source>The system's credential store could not read the API key (%1). Unlock the keychain (or wallet) and try again.</source>
            <translation>系统凭据存储无法读取 API 密钥（%1）。请解锁钥匙串（或钱包）后重试。</translation>
        </message>
        <message>
            <source>The system's credential store could not store the API key (%1). Unlock the keychain (or wallet) and try again.</source>
            <translation>系统凭据存储无法保存 API 密钥（%1）。请解锁钥匙串（或钱包）后重试。</translation>
        </message>
        <message>
            <source>The system's credential store could not delete the API key (%1). Unlock the keychain (or wallet) and try again.</source>
            <translation>系统凭据存储无法删除 API 密钥（%1）。请解锁钥匙串（或钱包）后重试。</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>a server's error, its own message</comment>
            <translation>服务器出错：%1</translation>
        </message>
        <message>
            <source>%1 is not one of your servers, so nothing was sent to it. Add it on the Servers page first.</source>
            <translation>%1 不在你的服务器列表中，因此没有向它发送任何内容。请先在“服务器”页面添加它。</translation>
        </message>
        <message>
            <source>Cannot reach the server at %1. Is it running, and is the address (host, port, http or https) right?</source>
            <translation>无法连接到 %1 的服务器。请确认它正在运行，并且地址（主机、端口、http 或 https）正确。</translation>
        </message>
        <message>
            <source>The certificate of %1 could not be verified. If the server uses your organisation's own certificate authority, add its CA bundle (a .pem file) to the server's settings.</source>
            <translation>无法验证 %1 的证书。如果该服务器使用你所在机构自己的证书颁发机构，请在服务器设置中添加其 CA 证书包（.pem 文件）。</translation>
        </message>
        <message>
            <source>The server at %1 sent nothing for %2 s. It may be overloaded or stuck; try again, or raise this server's timeouts if it is just slow.</source>
            <translation>%1 的服务器已有 %2 秒没有发送任何内容，可能负载过高或卡住了：请重试；如果它只是较慢，请调高该服务器的超时时间。</translation>
        </message>
        <message>
            <source>The server refused the image as too large. Lower the size of the images sent to this server (now %1 px on the long side), or crop the image.</source>
            <translation>服务器认为图片太大而拒绝了它。请降低发送给该服务器的图片尺寸（目前长边为 %1 像素），或裁剪图片。</translation>
        </message>
        <message>
            <source>This server accepts at most %1 image(s) per prompt, and this conversation has %2. Turn on 'Send only the newest image', or start a new chat for the next image.</source>
            <translation>该服务器每次提问最多接受 %1 张图片，而此对话中有 %2 张。请打开“只发送最新的图片”，或为下一张图片开始新对话。</translation>
        </message>
        <message>
            <source>%1 on vLLM reads one image per prompt, and this conversation has %2 images. Turn on 'Send only the newest image', or start a new chat for each image. Nothing was sent.</source>
            <translation>vLLM 上的 %1 每次提问只读取一张图片，而此对话中有 %2 张图片。请打开“只发送最新的图片”，或为每张图片开始新对话。没有发送任何内容。</translation>
        </message>
        <message>
            <source>The model '%1' on %2 does not read images. Remove the images, or pick a vision model on that server.</source>
            <translation>%2 上的模型“%1”不能读取图片。请移除图片，或在该服务器上选择一个视觉模型。</translation>
        </message>
        <message>
            <source>The server at %1 did not accept the request (%2): %3</source>
            <translation>%1 的服务器不接受此请求（%2）：%3</translation>
        </message>
        <message>
            <source>The answer from %1 stopped in the middle (%2 characters in), without the server saying it was finished. What arrived is kept; send again to retry.</source>
            <translation>来自 %1 的回答在中途停止了（已收到 %2 个字符），服务器没有表示回答已结束。已收到的内容会保留；请重新发送以重试。</translation>
        </message>
        <message>
            <source>The server at %1 sent a piece of the answer VisionDesk cannot read. Is it an OpenAI-compatible server? Update the server, or report this to its developers.</source>
            <translation>%1 的服务器发送了 VisionDesk 无法读取的回答片段。它是兼容 OpenAI 的服务器吗？请更新服务器，或将此问题报告给它的开发者。</translation>
        </message>
        <message>
            <source>'%1' has an invalid port number.</source>
            <translation>“%1”的端口号无效。</translation>
        </message>
        <message>
            <source>'%1' is not a server address. Write it like http://192.168.1.20:8000 or https://gpu.example.org/v1.</source>
            <translation>“%1”不是服务器地址。请写成 http://192.168.1.20:8000 或 https://gpu.example.org/v1 这样的形式。</translation>
        </message>
        <message>
            <source>%1 is already one of your servers (%2).</source>
            <translation>%1 已在你的服务器列表中（%2）。</translation>
        </message>
        <message>
            <source>%1 is already one of your servers.</source>
            <translation>%1 已在你的服务器列表中。</translation>
        </message>
        <message>
            <source>This server is no longer one of your servers; choose another one.</source>
            <translation>此服务器已不在你的服务器列表中；请选择其他服务器。</translation>
        </message>
        <message>
            <source>The environment variable %1 that should hold the API key is not set.</source>
            <translation>应保存 API 密钥的环境变量 %1 未设置。</translation>
        </message>
        <message>
            <source>The API key of this server is not in the credential store any more; enter it again in the server's settings.</source>
            <translation>此服务器的 API 密钥已不在凭据存储中；请在服务器设置中重新输入。</translation>
        </message>
        <message>
            <source>No server model is connected: choose a model first.</source>
            <translation>尚未连接服务器上的模型：请先选择一个模型。</translation>
        </message>
        <message>
            <source>it is %1, not an image file.</source>
            <translation>%1，不是图片文件。请选择图片文件本身。</translation>
        </message>
        <message>
            <source>a folder</source>
            <translation>它是一个文件夹</translation>
        </message>
        <message>
            <source>a named pipe (FIFO)</source>
            <translation>它是一个命名管道（FIFO）</translation>
        </message>
        <message>
            <source>a device</source>
            <translation>它是一个设备</translation>
        </message>
        <message>
            <source>a socket</source>
            <translation>它是一个套接字</translation>
        </message>
        <message>
            <source>not a regular file</source>
            <translation>它不是普通文件</translation>
        </message>
        <message>
            <source>a symbolic link that leads back to itself (a link loop)</source>
            <translation>它是一个指向自身的符号链接（链接循环）</translation>
        </message>
        <message>
            <source>a symbolic link to %1, which does not exist</source>
            <translation>它是指向 %1 的符号链接，而该目标不存在</translation>
        </message>
        <message>
            <source>not readable (permission denied)</source>
            <translation>它无法读取（权限被拒绝）</translation>
        </message>
        <message>
            <source>not readable (%1)</source>
            <translation>它无法读取（%1）</translation>
        </message>
        <message>
            <source>'%1' is neither an owner/name repository nor a catalog id (%2).</source>
            <translation>“%1”既不是 owner/name 形式的仓库，也不是模型目录中的 ID（%2）。</translation>
        </message>
        <message>
            <source>%1 already exists; remove it or import under another name.</source>
            <translation>%1 已存在：请先删除它，或换个名称导入。</translation>
        </message>
        <message>
            <source>%1</source>
            <comment>a model and a projector that do not pair, the check's words</comment>
            <translation>模型与投影器不匹配：%1</translation>
        </message>
        <message>
            <source>%1 Both files were deleted; this repository's files do not belong together.</source>
            <translation>该仓库的模型与投影器不匹配，两个文件都已删除。（%1）</translation>
        </message>
        <message>
            <source>%1 Nothing was downloaded: this repository's files do not belong together.</source>
            <translation>该仓库的模型与投影器不匹配，因此没有下载任何内容。（%1）</translation>
        </message>
        <message>
            <source>The JSON schema %1 is not valid JSON (%2).</source>
            <translation>JSON 模式文件 %1 不是有效的 JSON（%2）。</translation>
        </message>
        <message>
            <source>Cannot read the JSON schema %1 (%2).</source>
            <translation>无法读取 JSON 模式文件 %1（%2）。</translation>
        </message>
        <message>
            <source>The preset %1 is not valid JSON (%2).</source>
            <translation>预设文件 %1 不是有效的 JSON（%2）。</translation>
        </message>
        <message>
            <source>Cannot read the preset %1 (%2).</source>
            <translation>无法读取预设文件 %1（%2）。</translation>
        </message>
        <message>
            <source>The model's chat template could not format this conversation (%1). Set another chat template for this model in the settings.</source>
            <translation>模型的对话模板无法处理此对话（%1）。请在设置中为该模型换一个对话模板。</translation>
        </message>
        <message>
            <source>The main GPU is %1, but this machine has %2 GPU(s), numbered from 0. Choose another main GPU in the settings.</source>
            <translation>主 GPU 设为 %1，但这台电脑只有 %2 个 GPU（从 0 开始编号）。请在设置中选择其他主 GPU。</translation>
        </message>
        <message>
            <source>The GPU split gives %1 shares, but this machine has %2 GPU(s): give one share per GPU, or 'auto'.</source>
            <translation>多 GPU 分配给出了 %1 份，但这台电脑有 %2 个 GPU：请为每个 GPU 各给一份，或使用“auto”。</translation>
        </message>
        <message>
            <source>%1 line %2 is not a VisionDesk result row; write the results to a new file.</source>
            <translation>%1 第 %2 行不是 VisionDesk 写入的结果行；请将结果写入新文件。</translation>
        </message>
        <message>
            <source>%1 line %2 is not a VisionDesk result row (%3).</source>
            <translation>%1 第 %2 行不是 VisionDesk 写入的结果行（%3）。</translation>
        </message>
        <message>
            <source>The preset %1 must be a JSON object.</source>
            <translation>预设 %1 必须是一个 JSON 对象。</translation>
        </message>
        <message>
            <source>The preset %1 needs a 'prompt' (in English at least).</source>
            <translation>预设 %1 需要“prompt”（至少要有英文）。</translation>
        </message>
        <message>
            <source>The preset %1 has a 'schema' that is not a JSON object.</source>
            <translation>预设 %1 的“schema”不是 JSON 对象。</translation>
        </message>
        <message>
            <source>The preset %1 has an 'export' of %2; use 'fields' or 'table'.</source>
            <translation>预设 %1 的“export”为 %2；请使用“fields”或“table”。</translation>
        </message>
        <message>
            <source>%1 does not exist: give image files, folders or a .txt file listing paths.</source>
            <translation>%1 不存在：请提供图片文件、文件夹，或列出路径的 .txt 文件。</translation>
        </message>
        <message>
            <source>Cannot read the list of images %1 (%2).</source>
            <translation>无法读取图片列表 %1（%2）。</translation>
        </message>
        <message>
            <source>%1 has the columns %2, but this task writes %3; write the results to a new file.</source>
            <translation>%1 的列是 %2，但此任务写入的列是 %3；请将结果写入新文件。</translation>
        </message>
        <message>
            <source>%1 holds answers of another task (a different prompt, schema or model); write the results to a new file, or run again the task that wrote it.</source>
            <translation>%1 保存的是另一个任务的回答（提示词、模式或模型不同）；请将结果写入新文件，或重新运行写入它的那个任务。</translation>
        </message>
        <message>
            <source>%1 already exists; choose another name for the export.</source>
            <translation>%1 已存在；请为导出文件换一个名称。</translation>
        </message>
        <message>
            <source>There is no preset named '%1'. Known: %2 (your own go in %3).</source>
            <translation>没有名为“%1”的预设。已有：%2（你自己的预设放在 %3）。</translation>
        </message>
        <message>
            <source>%1 is not a download: it runs on a server. Serve it with vLLM (or another OpenAI-compatible server) and add that server on the Servers page.</source>
            <translation>%1 不能下载：它需要在服务器上运行。请用 vLLM（或其他兼容 OpenAI 的服务器）运行它，并在“服务器”页面添加该服务器。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: it is protected by a password. Open it in a PDF viewer, save or print a copy without the password, and attach that.</source>
            <translation>无法读取 PDF %1：它受密码保护。请在 PDF 阅读器中打开它，另存或打印一份不带密码的副本，再附加该副本。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: it is damaged or not a complete PDF. Download or export it again.</source>
            <translation>无法读取 PDF %1：它已损坏或不是完整的 PDF。请重新下载或导出。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: it has no pages.</source>
            <translation>无法读取 PDF %1：它没有页面。</translation>
        </message>
        <message>
            <source>“%1” is not a page range of this %2-page PDF: write pages as 3-5, 9.</source>
            <translation>“%1”不是这份 %2 页 PDF 的页码范围：请写成 3-5, 9 这样的形式。</translation>
        </message>
        <message>
            <source>The GPU split must be 'auto', 'even' or one share per GPU separated by commas, such as 3,1 (at most %1, not all 0), not %2.</source>
            <translation>GPU 分配必须是“auto”、“even”，或每个 GPU 一个份额并用逗号分隔，例如 3,1（最多 %1 个，且不能全为 0），而不是 %2。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: the file could not be opened. Check that it is still there and that you may read it.</source>
            <translation>无法读取 PDF %1：无法打开该文件。请确认它仍在原处，并且你有权限读取它。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: the PDF reader stopped while drawing it, which a damaged file can cause. Open it in a PDF viewer, print it to a new PDF, and attach that.</source>
            <translation>无法读取 PDF %1：PDF 阅读器在绘制它时意外停止，损坏的文件可能导致这种情况。请在 PDF 阅读器中打开它，打印为新的 PDF，再附加新文件。</translation>
        </message>
        <message>
            <source>Cannot read the PDF %1: drawing its pages took over a minute and was stopped. Open it in a PDF viewer, print the pages you need to a new PDF, and attach that.</source>
            <translation>无法读取 PDF %1：绘制页面超过一分钟，已被停止。请在 PDF 阅读器中打开它，把需要的页面打印为新的 PDF，再附加新文件。</translation>
        </message>
    </context>
    <context>
        <name>HeaderController</name>
        <message>
            <location filename="../controllers/header.py" line="113" />
            <source>No model</source>
            <translation>没有模型</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="121" />
            <source>Choose a model</source>
            <translation>选择模型</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="147" />
            <source>Loading…</source>
            <translation>加载中…</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="151" />
            <source>No model loaded</source>
            <translation>未加载模型</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="156" />
            <source>Sees images</source>
            <translation>可识别图片</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="157" />
            <source>This model can answer questions about images.</source>
            <translation>此模型可以回答关于图片的问题。</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="159" />
            <source>Text only</source>
            <translation>仅文本</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="160" />
            <source>This model cannot see images: it has no vision projector (mmproj).</source>
            <translation>此模型无法识别图片：它没有视觉投影器（mmproj）。</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="163" />
            <source>Remote: %1</source>
            <translation>远程：%1</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="169" />
            <source>Where the model runs</source>
            <translation>模型运行的位置</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="204" />
            <source>%1 / %2 tokens</source>
            <translation>%1 / %2 个 token</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="207" />
            <source>Context used: %1%</source>
            <translation>已用上下文：%1%</translation>
        </message>
        <message>
            <location filename="../controllers/header.py" line="208" />
            <source>Context used</source>
            <translation>已用上下文</translation>
        </message>
        <message>
            <source>remote: %1</source>
            <translation>远程：%1</translation>
        </message>
        <message>
            <source>server on this computer</source>
            <translation>本机上的服务器</translation>
        </message>
        <message>
            <source>Vision unknown until an image is tried</source>
            <translation>是否识图未知（发送图片后可知）</translation>
        </message>
        <message>
            <source>%1 on the server %2 (%3): messages and images sent to it leave this computer</source>
            <translation>%1，服务器 %2（%3）：发给它的消息和图片会离开这台电脑</translation>
        </message>
        <message>
            <source>%1 on the server %2, on this computer</source>
            <translation>%1，服务器 %2，在这台电脑上</translation>
        </message>
        <message>
            <source>Server on this computer</source>
            <translation>本机上的服务器</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../views/main_window.py" line="146" />
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="147" />
            <source>&amp;Chat</source>
            <translation>对话(&amp;C)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="149" />
            <source>&amp;New chat</source>
            <translation>新对话(&amp;N)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="150" />
            <source>&amp;Open GGUF files…</source>
            <translation>打开 GGUF 文件(&amp;O)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="151" />
            <source>&amp;Models…</source>
            <translation>模型(&amp;M)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="152" />
            <source>Export as &amp;Markdown…</source>
            <translation>导出为 Markdown(&amp;M)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="153" />
            <source>Export as &amp;JSON…</source>
            <translation>导出为 JSON(&amp;J)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="154" />
            <source>&amp;Settings…</source>
            <translation>设置(&amp;S)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="155" />
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="156" />
            <source>&amp;Stop</source>
            <translation>停止(&amp;S)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="157" />
            <source>&amp;Regenerate</source>
            <translation>重新生成(&amp;R)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="158" />
            <source>&amp;Find in conversations</source>
            <translation>在对话中查找(&amp;F)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="162" />
            <location filename="../views/main_window.py" line="163" />
            <source>New chat</source>
            <translation>新对话</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="164" />
            <source>New chat (Ctrl+N)</source>
            <translation>新对话 (Ctrl+N)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="165" />
            <location filename="../views/main_window.py" line="166" />
            <source>Search conversations</source>
            <translation>搜索对话</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="167" />
            <source>Conversations</source>
            <translation>对话列表</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="169" />
            <source>Ask about your images… (Enter sends, Shift+Enter for a new line)</source>
            <translation>询问关于图片的问题…（Enter 发送，Shift+Enter 换行）</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="170" />
            <source>Message</source>
            <translation>消息</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="171" />
            <location filename="../views/main_window.py" line="172" />
            <source>Attach images</source>
            <translation>附加图片</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="173" />
            <location filename="../views/main_window.py" line="174" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="175" />
            <location filename="../views/main_window.py" line="176" />
            <source>Stop</source>
            <translation>停止</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="177" />
            <source>Stop (Esc)</source>
            <translation>停止 (Esc)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="178" />
            <source>Editing your last message. Sending replaces it and the answer.</source>
            <translation>正在编辑上一条消息。发送后将替换该消息及其回答。</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="179" />
            <location filename="../views/main_window.py" line="180" />
            <source>Cancel edit</source>
            <translation>取消编辑</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="181" />
            <source>Drop images here, paste them, or attach them, then ask a question.</source>
            <translation>将图片拖到这里、粘贴或附加，然后提问。</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="183" />
            <source>Conversation</source>
            <translation>对话</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="185" />
            <source>Welcome to VisionDesk</source>
            <translation>欢迎使用 VisionDesk</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="187" />
            <source>VisionDesk answers questions about your images with a vision-language model that runs entirely on this computer. To start, get a model or open GGUF files you already have (a model and, for images, its projector).</source>
            <translation>VisionDesk 使用完全在本机运行的视觉语言模型回答关于图片的问题。开始前，请获取一个模型，或打开已有的 GGUF 文件（模型文件，以及用于图片的投影器文件）。</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="191" />
            <source>Get a model…</source>
            <translation>获取模型…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="192" />
            <source>Get a model</source>
            <translation>获取模型</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="193" />
            <source>Open GGUF files…</source>
            <translation>打开 GGUF 文件…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="194" />
            <source>Open GGUF files</source>
            <translation>打开 GGUF 文件</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="195" />
            <location filename="../views/main_window.py" line="196" />
            <source>Dismiss</source>
            <translation>关闭提示</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="197" />
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="198" />
            <source>The model that answers (click to switch)</source>
            <translation>回答问题的模型（点击切换）</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="142" />
            <source>&amp;Tools</source>
            <translation>工具(&amp;T)</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="153" />
            <source>&amp;Batch…</source>
            <translation>批量处理(&amp;B)…</translation>
        </message>
        <message>
            <location filename="../views/main_window.py" line="154" />
            <source>Local &amp;API server…</source>
            <translation>本地 API 服务(&amp;A)…</translation>
        </message>
        <message>
            <source>Choose pages…</source>
            <translation>选择页面…</translation>
        </message>
    </context>
    <context>
        <name>ModelController</name>
        <message>
            <location filename="../controllers/model.py" line="96" />
            <source>Loading %1…</source>
            <translation>正在加载 %1…</translation>
        </message>
        <message>
            <location filename="../controllers/model.py" line="115" />
            <source>Checking %1…</source>
            <translation>正在检查 %1…</translation>
        </message>
        <message>
            <location filename="../controllers/model.py" line="134" />
            <source>Open a GGUF model and, for images, its projector</source>
            <translation>打开 GGUF 模型（如需识图，同时选择其投影器）</translation>
        </message>
        <message>
            <location filename="../controllers/model.py" line="144" />
            <source>Pick the model file too, not only the projector.</source>
            <translation>请同时选择模型文件，而不只是投影器。</translation>
        </message>
        <message>
            <location filename="../controllers/model.py" line="166" />
            <source>%1 cannot see images: it was opened without a vision projector (mmproj), and none that fits was found beside it. Text questions work; for images add its mmproj file (Open GGUF files… with both files, or the model manager).</source>
            <translation>%1 无法识别图片：打开时没有视觉投影器（mmproj），同一文件夹中也没有找到匹配的投影器。文字提问可以正常使用；如需识别图片，请添加它的 mmproj 文件（用“打开 GGUF 文件…”同时选择两个文件，或使用模型管理器）。</translation>
        </message>
        <message>
            <location filename="../controllers/model.py" line="177" />
            <location filename="../controllers/model.py" line="189" />
            <source>%1 could not be loaded, so %2 stays in use. %3</source>
            <translation>无法加载 %1，继续使用 %2。%3</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/model.py" line="86" />
            <source>Connecting to %1…</source>
            <translation>正在连接 %1…</translation>
        </message>
    </context>
    <context>
        <name>ModelManagerController</name>
        <message>
            <location filename="../controllers/model_manager.py" line="76" />
            <source>photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="76" />
            <source>documents</source>
            <translation>文档</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="76" />
            <source>general</source>
            <translation>通用</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="77" />
            <source>charts</source>
            <translation>图表</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="77" />
            <source>text in images (OCR)</source>
            <translation>图中文字（OCR）</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="78" />
            <source>small laptops</source>
            <translation>小型笔记本</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="83" />
            <source>Fits on the GPU</source>
            <translation>可完全在 GPU 上运行</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="83" />
            <source>Partly on the GPU</source>
            <translation>部分在 GPU 上运行</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="84" />
            <source>CPU only</source>
            <translation>仅 CPU</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="84" />
            <source>Too big</source>
            <translation>太大</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="116" />
            <source>Good at anything</source>
            <translation>全部用途</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="130" />
            <source>Checking…</source>
            <translation>正在检查…</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="139" />
            <source>Needs about %1 of memory; this machine has %2 of RAM and no usable GPU.</source>
            <translation>约需 %1 内存；本机有 %2 内存，没有可用的 GPU。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="141" />
            <source>Needs about %1 of memory; this machine has %2 of RAM and %3 free on the GPU.</source>
            <translation>约需 %1 内存；本机有 %2 内存，GPU 可用 %3。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="204" />
            <source>Type a repository as owner/name.</source>
            <translation>请按“所有者/名称”格式输入仓库。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="245" />
            <source>unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="251" />
            <source>Downloaded models use %1 of disk space.</source>
            <translation>已下载的模型占用 %1 磁盘空间。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="282" />
            <source>Verifying %1…</source>
            <translation>正在校验 %1…</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="286" />
            <source>%1: all files match.</source>
            <translation>%1：所有文件均完好。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="286" />
            <source>%1 is damaged: %2</source>
            <translation>%1 已损坏：%2</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="295" />
            <source>Remove %1 and delete its files (%2)?</source>
            <translation>移除 %1 并删除其文件（%2）？</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="296" />
            <source>Remove %1 from the list? Its files (%2) stay where they are.</source>
            <translation>从列表中移除 %1？其文件（%2）会保留在原处。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="298" />
            <source>Remove model</source>
            <translation>移除模型</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="310" />
            <source>Removed %1; %2 freed.</source>
            <translation>已移除 %1；释放了 %2。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="317" />
            <source>Import a GGUF model and, optionally, its projector</source>
            <translation>导入 GGUF 模型（可同时选择其投影器）</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="329" />
            <source>Pick the model file too, not only the projector.</source>
            <translation>请同时选择模型文件，而不只是投影器。</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="331" />
            <source>Importing %1…</source>
            <translation>正在导入 %1…</translation>
        </message>
        <message>
            <location filename="../controllers/model_manager.py" line="334" />
            <source>Imported %1.</source>
            <translation>已导入 %1。</translation>
        </message>
        <message>
            <source>size unknown</source>
            <translation>大小未知</translation>
        </message>
    </context>
    <context>
        <name>ModelManagerDialog</name>
        <message>
            <location filename="../views/model_manager_dialog.py" line="212" />
            <source>Models</source>
            <translation>模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="213" />
            <source>&amp;Catalog</source>
            <translation>模型目录(&amp;C)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="213" />
            <source>&amp;Downloads</source>
            <translation>下载(&amp;D)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="213" />
            <source>&amp;Installed</source>
            <translation>已安装(&amp;I)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="215" />
            <source>Model manager sections</source>
            <translation>模型管理器分区</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="216" />
            <location filename="../views/model_manager_dialog.py" line="217" />
            <source>Search models</source>
            <translation>搜索模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="218" />
            <location filename="../views/model_manager_dialog.py" line="222" />
            <source>Good at</source>
            <translation>擅长</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="219" />
            <source>&amp;Fits this machine</source>
            <translation>适合本机(&amp;F)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="220" />
            <source>Show only models that fit this machine</source>
            <translation>只显示适合本机的模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="222" />
            <location filename="../views/model_manager_dialog.py" line="238" />
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="222" />
            <source>Download size</source>
            <translation>下载大小</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="222" />
            <source>License</source>
            <translation>许可证</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="223" />
            <source>On this machine</source>
            <translation>在本机上</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="224" />
            <source>Catalog of vision models</source>
            <translation>视觉模型目录</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="225" />
            <source>About the selected model</source>
            <translation>所选模型简介</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="226" />
            <source>&amp;Quantization:</source>
            <translation>量化(&amp;Q)：</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="227" />
            <location filename="../views/model_manager_dialog.py" line="238" />
            <source>Quantization</source>
            <translation>量化</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="228" />
            <source>Do&amp;wnload</source>
            <translation>下载(&amp;W)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="229" />
            <source>Download the selected model</source>
            <translation>下载所选模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="230" />
            <source>Or a Hugging Face &amp;repository:</source>
            <translation>或 Hugging Face 仓库(&amp;R)：</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="231" />
            <source>owner/name</source>
            <translation>所有者/名称</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="232" />
            <source>Hugging Face repository</source>
            <translation>Hugging Face 仓库</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="233" />
            <source>Download from the &amp;Hub</source>
            <translation>从 Hub 下载(&amp;H)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="234" />
            <source>Download from the Hugging Face repository</source>
            <translation>从 Hugging Face 仓库下载</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="235" />
            <source>Nothing is downloading. Pick a model in the catalog.</source>
            <translation>当前没有下载。请在模型目录中选择一个模型。</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="236" />
            <source>Download queue</source>
            <translation>下载队列</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="238" />
            <source>Size</source>
            <translation>大小</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="238" />
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="238" />
            <source>Verified</source>
            <translation>校验时间</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="239" />
            <source>Installed models</source>
            <translation>已安装的模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="240" />
            <source>&amp;Use this model</source>
            <translation>使用此模型(&amp;U)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="241" />
            <source>Use this model</source>
            <translation>使用此模型</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="242" />
            <source>&amp;Verify again</source>
            <translation>重新校验(&amp;V)</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="243" />
            <source>Verify again</source>
            <translation>重新校验</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="244" />
            <source>&amp;Remove…</source>
            <translation>移除(&amp;R)…</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="245" />
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="246" />
            <source>Import &amp;GGUF files…</source>
            <translation>导入 GGUF 文件(&amp;G)…</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="247" />
            <source>Import GGUF files</source>
            <translation>导入 GGUF 文件</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="248" />
            <source>Disk use</source>
            <translation>磁盘占用</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="249" />
            <location filename="../views/model_manager_dialog.py" line="250" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../views/model_manager_dialog.py" line="251" />
            <location filename="../views/model_manager_dialog.py" line="252" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>SettingsController</name>
        <message>
            <location filename="../controllers/settings.py" line="121" />
            <source>Choose a GGUF file</source>
            <translation>选择 GGUF 文件</translation>
        </message>
        <message>
            <source>%1 used</source>
            <translation>已用 %1</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <location filename="../controllers/settings.py" line="73" />
            <source>Temperature, top p, max tokens, context size and the system prompt can be remembered per model.</source>
            <translation>温度、top p、最大 token 数、上下文长度和系统提示词可以按模型分别保存。</translation>
        </message>
        <message>
            <location filename="../controllers/settings.py" line="83" />
            <source>No presets yet</source>
            <translation>还没有预设</translation>
        </message>
        <message>
            <location filename="../controllers/settings.py" line="141" />
            <source>Choose a model first.</source>
            <translation>请先选择模型。</translation>
        </message>
        <message>
            <location filename="../controllers/settings.py" line="150" />
            <source>Saved the preset “%1” for %2.</source>
            <translation>已为 %2 保存预设“%1”。</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="167" />
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="168" />
            <location filename="../views/settings_dialog.py" line="169" />
            <source>Search settings</source>
            <translation>搜索设置</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="170" />
            <source>No setting matches.</source>
            <translation>没有匹配的设置。</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="172" />
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="172" />
            <source>Answers</source>
            <translation>回答</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="172" />
            <source>Performance</source>
            <translation>性能</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="172" />
            <source>Appearance</source>
            <translation>外观</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="174" />
            <source>&amp;Model file</source>
            <translation>模型文件(&amp;M)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="174" />
            <source>&amp;Projector (mmproj)</source>
            <translation>投影器 (mmproj)(&amp;P)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="174" />
            <source>S&amp;ystem prompt</source>
            <translation>系统提示词(&amp;Y)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="175" />
            <source>&amp;Temperature</source>
            <translation>温度(&amp;T)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="175" />
            <source>Top &amp;p</source>
            <translation>Top &amp;p</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="175" />
            <source>Ma&amp;x tokens</source>
            <translation>最大 token 数(&amp;X)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>&amp;Context size</source>
            <translation>上下文长度(&amp;C)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>&amp;GPU layers</source>
            <translation>GPU 层数(&amp;G)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>T&amp;hreads</source>
            <translation>线程数(&amp;H)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>GPU spl&amp;it</source>
            <translation>多 GPU 分配(&amp;I)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>Main GP&amp;U</source>
            <translation>主 GPU(&amp;U)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>auto, even, or one share per GPU such as 3,1</source>
            <translation>auto、even，或每块 GPU 一个比例，如 3,1</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>How several GPUs share the model's layers: auto (by free memory), even, or one share per GPU such as 3,1</source>
            <translation>多块 GPU 如何分配模型的层：auto（按空闲显存）、even（平均），或每块 GPU 一个比例，如 3,1</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>GPU split</source>
            <translation>多 GPU 分配</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="176" />
            <source>The GPU (from 0) that holds the vision projector; Automatic: the one with the most free memory</source>
            <translation>存放视觉投影器的 GPU（从 0 开始编号）；自动：空闲显存最多的那块</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="177" />
            <source>Th&amp;eme</source>
            <translation>主题(&amp;E)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="177" />
            <source>&amp;Language</source>
            <translation>语言(&amp;L)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="181" />
            <source>Higher is more varied, 0 always picks the likeliest word</source>
            <translation>越高越多样，0 总是选择最可能的词</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="182" />
            <source>Sample only from the likeliest words that together reach this share</source>
            <translation>只从累计概率达到此比例的最可能的词中采样</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="183" />
            <source>The longest answer, in tokens</source>
            <translation>回答的最大长度（token）</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="184" />
            <source>How much of the conversation the model reads, in tokens</source>
            <translation>模型读取的对话长度（token）</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="185" />
            <source>CPU threads for the model. Automatic: measured at the first two loads of each model and remembered in the engine cache (Clear measures again)</source>
            <translation>模型使用的 CPU 线程数。自动：在每个模型的前两次加载时测量，并记在引擎缓存中（清除后会重新测量）</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="187" />
            <source>Browse…</source>
            <translation>浏览…</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="188" />
            <source>Model file</source>
            <translation>模型文件</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="189" />
            <source>Browse for the model file</source>
            <translation>浏览模型文件</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="190" />
            <source>Projector file</source>
            <translation>投影器文件</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="191" />
            <source>Browse for the projector file</source>
            <translation>浏览投影器文件</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="192" />
            <source>None: text only</source>
            <translation>无：仅文本</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="193" />
            <location filename="../views/settings_dialog.py" line="205" />
            <source>Automatic</source>
            <translation>自动</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="194" />
            <source>GPU offload mode</source>
            <translation>GPU 卸载方式</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="195" />
            <source>Number of GPU layers</source>
            <translation>GPU 层数</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="196" />
            <source>P&amp;resets</source>
            <translation>预设(&amp;R)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="197" />
            <source>Presets</source>
            <translation>预设</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="198" />
            <source>Saved presets</source>
            <translation>已保存的预设</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="199" />
            <source>Choose a saved preset to fill in the answer settings</source>
            <translation>选择一个已保存的预设来填入回答设置</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="200" />
            <location filename="../views/settings_dialog.py" line="201" />
            <source>Preset name</source>
            <translation>预设名称</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="202" />
            <source>Save preset</source>
            <translation>保存预设</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="203" />
            <location filename="../views/settings_dialog.py" line="204" />
            <source>Save as preset for this model</source>
            <translation>保存为此模型的预设</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="205" />
            <source>Number of layers</source>
            <translation>指定层数</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="206" />
            <source>CPU only</source>
            <translation>仅 CPU</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="207" />
            <source>System</source>
            <translation>跟随系统</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="207" />
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" line="207" />
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <location filename="../controllers/settings.py" line="121" />
            <source>Saved as the preset for %1.</source>
            <translation>已保存为 %1 的预设。</translation>
        </message>
        <message>
            <source>Image token &amp;budget</source>
            <translation>图片词元预算(&amp;B)</translation>
        </message>
        <message>
            <source>The model's own</source>
            <translation>使用模型自身的设置</translation>
        </message>
        <message>
            <source>Tokens an image may take, for models that read images at their own size (Qwen-VL, Pixtral, LFM2-VL): more reads small text better and costs time and context. Kept per model.</source>
            <translation>一张图片最多可占用的词元数，适用于按图片原始尺寸读取的模型（Qwen-VL、Pixtral、LFM2-VL）：预算越多，越能看清小字，但会耗费更多时间和上下文。按模型分别保存。</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" />
            <source>&amp;When the context is full</source>
            <translation>上下文已满时(&amp;W)</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" />
            <source>Drop the oldest turns</source>
            <translation>删除最早的对话轮次</translation>
        </message>
        <message>
            <location filename="../views/settings_dialog.py" />
            <source>Leave the oldest messages out of what the model reads (the system prompt and the newest message stay); a line in the conversation marks the cut</source>
            <translation>模型不再读取最早的消息（系统提示词和最新消息保留）；对话中会用一条分隔线标出截断处</translation>
        </message>
        <message>
            <source>&amp;Disk cache</source>
            <translation>磁盘缓存(&amp;D)</translation>
        </message>
        <message>
            <source> MB</source>
            <translation> MB</translation>
        </message>
        <message>
            <source>Off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Disk cache size limit</source>
            <translation>磁盘缓存大小上限</translation>
        </message>
        <message>
            <source>Disk the app may use to remember encoded images and conversations across restarts, so a follow-up after a restart answers at once</source>
            <translation>应用可用于在重启后记住已编码图片和对话的磁盘空间，这样重启后的追问可以立即回答</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>清除</translation>
        </message>
        <message>
            <source>Clear the disk cache</source>
            <translation>清除磁盘缓存</translation>
        </message>
    </context>
    <context>
        <name>StartupError</name>
        <message>
            <location filename="../app.py" line="70" />
            <source>VisionDesk could not start: %1</source>
            <translation>VisionDesk 无法启动：%1</translation>
        </message>
        <message>
            <location filename="../app.py" line="75" />
            <source>The log file in %1 has the details.</source>
            <translation>详细信息见 %1 中的日志文件。</translation>
        </message>
        <message>
            <source>VisionDesk is already open on this data folder (%1) but does not answer. Close that window, or end its process, then start VisionDesk again.</source>
            <translation>VisionDesk 已在此数据文件夹（%1）上打开，但没有响应。请关闭那个窗口或结束其进程，然后再启动 VisionDesk。</translation>
        </message>
    </context>
    <context>
        <name>TranscriptPresenter</name>
        <message>
            <location filename="../controllers/transcript.py" line="135" />
            <location filename="../controllers/transcript.py" line="182" />
            <location filename="../controllers/transcript.py" line="198" />
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="155" />
            <source>First token %1 ms</source>
            <translation>首个 token %1 毫秒</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="157" />
            <source>%1 tokens/s</source>
            <translation>%1 token/秒</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="159" />
            <source>%1 tokens</source>
            <translation>%1 个 token</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="181" />
            <source>You</source>
            <translation>你</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="181" />
            <source>Assistant</source>
            <translation>助手</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="182" />
            <source>Edit</source>
            <translation>编辑</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="182" />
            <source>Regenerate</source>
            <translation>重新生成</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" line="194" />
            <source>Copied ✓</source>
            <translation>已复制 ✓</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>stopped at the length limit</source>
            <translation>已达长度上限而停止</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>stopped: the context is full</source>
            <translation>已停止：上下文已满</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>Delete</source>
            <translation>删除</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>Earlier version</source>
            <translation>上一个版本</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>Later version</source>
            <translation>下一个版本</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>Continue</source>
            <translation>继续</translation>
        </message>
        <message>
            <location filename="../controllers/transcript.py" />
            <source>The conversation outgrew the context: the model no longer reads the messages above this line.</source>
            <translation>对话已超出上下文：模型不再读取此线以上的消息。</translation>
        </message>
    </context>
    <context>
        <name>ModelMenuController</name>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/model_menu.py" line="95" />
            <source>No models yet: get one, open GGUF files, or add a server</source>
            <translation>还没有模型：获取一个模型、打开 GGUF 文件，或添加服务器</translation>
        </message>
    </context>
    <context>
        <name>RemoteBanner</name>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/remote_banner.py" line="30" />
            <source>Remote: %1 — images you send leave this computer</source>
            <translation>远程：%1 — 你发送的图片会离开这台电脑</translation>
        </message>
    </context>
    <context>
        <name>RemoteSessionController</name>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="77" />
            <source>This server is no longer one of your servers, so nothing was sent to it.</source>
            <translation>此服务器已不在你的服务器列表中，因此没有向它发送任何内容。</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="83" />
            <source>Not sent: you did not agree to send to %1. Regenerate to be asked again.</source>
            <translation>未发送：你没有同意发送到 %1。点击“重新生成”可再次询问。</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="105" />
            <source>This conversation used a server that is no longer one of your servers; choose another model to go on.</source>
            <translation>此对话使用的服务器已不在你的服务器列表中；请选择其他模型继续。</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="111" />
            <source>Send to a remote server?</source>
            <translation>发送到远程服务器？</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="112" />
            <source>Messages and images you send in this chat go to %1 (%2) and leave this computer. Send them there? You will not be asked again for this server.</source>
            <translation>你在此对话中发送的消息和图片会发往 %1（%2），并离开这台电脑。要发送到那里吗？对此服务器不会再次询问。</translation>
        </message>
        <message>
            <source>The batch did not start: you did not agree to send its images to %1.</source>
            <translation>批处理未开始：你没有同意把它的图片发送到 %1。</translation>
        </message>
        <message>
            <source>The images of this batch go to %1 (%2) and leave this computer. Send them there? You will not be asked again for this server.</source>
            <translation>此批处理的图片会发往 %1（%2），并离开这台电脑。要发送到那里吗？对此服务器不会再次询问。</translation>
        </message>
    </context>
    <context>
        <name>ServersController</name>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="76" />
            <source>remote: %1</source>
            <translation>远程：%1</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="76" />
            <source>this computer</source>
            <translation>本机</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="93" />
            <source>a key is kept; type a new one to replace it</source>
            <translation>已保存密钥；输入新密钥可替换</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="94" />
            <source>optional; kept in the system's credential store</source>
            <translation>可选；保存在系统的凭据存储中</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="125" />
            <source>Saved. Test it to see its models.</source>
            <translation>已保存。测试后可查看其模型。</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="140" />
            <source>Testing %1…</source>
            <translation>正在测试 %1…</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="156" />
            <source>on this computer</source>
            <translation>在本机上</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="157" />
            <source>Reachable: %1, %2 model(s), %3</source>
            <translation>可连接：%1，%2 个模型，%3</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="175" />
            <source>sees images</source>
            <translation>可识图</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="175" />
            <source>text only</source>
            <translation>仅文本</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="176" />
            <source>vision unknown until an image is tried</source>
            <translation>是否识图未知（发送图片后可知）</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="177" />
            <source>server on this computer</source>
            <translation>本机上的服务器</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="119" />
            <source>The CA bundle %1 is not a file.</source>
            <translation>CA 证书包 %1 不是文件。</translation>
        </message>
    </context>
    <context>
        <name>ServersDialog</name>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="81" />
            <source>Servers</source>
            <translation>服务器</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="82" />
            <source>New server</source>
            <translation>新建服务器</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="83" />
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="84" />
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="85" />
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="86" />
            <source>API key</source>
            <translation>API 密钥</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="87" />
            <source>e.g. GPU server</source>
            <translation>例如：GPU 服务器</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="89" />
            <source>optional; kept in the system's credential store</source>
            <translation>可选；保存在系统的凭据存储中</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="90" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="91" />
            <source>Test</source>
            <translation>测试</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="92" />
            <source>Use this model</source>
            <translation>使用此模型</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="94" />
            <source>Models on this server</source>
            <translation>此服务器上的模型</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="96" />
            <source>CA bundle</source>
            <translation>CA 证书包</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="97" />
            <source>optional: a .pem file of your organisation's certificate authority</source>
            <translation>可选：你所在组织的证书颁发机构 .pem 文件</translation>
        </message>
        <message>
            <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="99" />
            <source>Send only the newest image (for servers that take one image per prompt, such as vLLM with Llama 3.2 Vision)</source>
            <translation>只发送最新的图片（适用于每次只接受一张图片的服务器，例如运行 Llama 3.2 Vision 的 vLLM）</translation>
        </message>
    </context>
    <context>
        <name>EngineWorker</name>
        <message>
            <location filename="../worker.py" line="136" />
            <source>This model runs on a server, which decides how it reads images: they are measured there.</source>
            <translation>此模型运行在服务器上，由服务器决定如何读取图片：图片在那里计量。</translation>
        </message>
        <message>
            <source>The answer ended without a result.</source>
            <translation>回答没有得出结果就结束了。</translation>
        </message>
    </context>
    <context>
        <name>AnswerFormatBox</name>
        <message>
            <location filename="../views/answer_format.py" line="35" />
            <source>Answer &amp;format:</source>
            <translation>回答格式(&amp;F)：</translation>
        </message>
        <message>
            <location filename="../views/answer_format.py" line="1" />
            <source>Answer format</source>
            <translation>回答格式</translation>
        </message>
        <message>
            <location filename="../views/answer_format.py" line="37" />
            <source>Free text, or JSON: any object, or the fields of a task preset. Kept for this conversation.</source>
            <translation>自由文本，或 JSON：任意对象，或某个任务预设的字段。此设置随本对话保存。</translation>
        </message>
    </context>
    <context>
        <name>AnswerFormatController</name>
        <message>
            <location filename="../controllers/answer_format.py" line="49" />
            <source>Free text</source>
            <translation>自由文本</translation>
        </message>
        <message>
            <location filename="../controllers/answer_format.py" line="50" />
            <source>JSON object</source>
            <translation>JSON 对象</translation>
        </message>
        <message>
            <location filename="../controllers/answer_format.py" line="62" />
            <source>JSON: %1</source>
            <translation>JSON：%1</translation>
        </message>
    </context>
    <context>
        <name>ApiServerPage</name>
        <message>
            <location filename="../views/api_server_page.py" line="84" />
            <source>Local API server</source>
            <translation>本地 API 服务</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="86" />
            <source>Scripts and other programs on this computer can use the model loaded in this window through an OpenAI-compatible API. It listens on 127.0.0.1 only; requests wait their turn with your own questions.</source>
            <translation>本机上的脚本和其他程序可以通过 OpenAI 兼容的 API 使用此窗口中加载的模型。它只监听 127.0.0.1；请求会与您自己的提问依次排队。</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="89" />
            <source>&amp;Serve the loaded model</source>
            <translation>提供已加载的模型(&amp;S)</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="90" />
            <source>&amp;Port</source>
            <translation>端口(&amp;P)</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="92" />
            <source>API &amp;key</source>
            <translation>API 密钥(&amp;K)</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="94" />
            <source>None: any program on this computer may call it</source>
            <translation>无：本机上的任何程序都可以调用</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="95" />
            <source>API key</source>
            <translation>API 密钥</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="96" />
            <source>Generate</source>
            <translation>生成</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="97" />
            <source>Base URL</source>
            <translation>基础 URL</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="99" />
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="100" />
            <source>Copy the base URL</source>
            <translation>复制基础 URL</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="101" />
            <source>Recent requests</source>
            <translation>最近的请求</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="102" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="102" />
            <source>Client</source>
            <translation>客户端</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="102" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="103" />
            <source>Outcome</source>
            <translation>结果</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="103" />
            <source>Tokens</source>
            <translation>词元</translation>
        </message>
        <message>
            <location filename="../views/api_server_page.py" line="86" />
            <source>ms</source>
            <translation>毫秒</translation>
        </message>
    </context>
    <context>
        <name>ApiServerController</name>
        <message>
            <location filename="../controllers/api_server.py" line="172" />
            <source>Switching…</source>
            <translation>正在切换…</translation>
        </message>
        <message>
            <location filename="../controllers/api_server.py" line="174" />
            <source>Off.</source>
            <translation>已关闭。</translation>
        </message>
        <message>
            <location filename="../controllers/api_server.py" line="176" />
            <source>On, but no model is loaded: requests are refused until one is.</source>
            <translation>已开启，但尚未加载模型：加载模型之前请求会被拒绝。</translation>
        </message>
        <message>
            <location filename="../controllers/api_server.py" line="85" />
            <source>Port %1 is in use by another program; choose another port.</source>
            <translation>端口 %1 已被其他程序占用；请选择其他端口。</translation>
        </message>
        <message>
            <location filename="../controllers/api_server.py" line="178" />
            <source>On: serving %1 at %2</source>
            <translation>已开启：在 %2 提供 %1</translation>
        </message>
    </context>
    <context>
        <name>BatchPage</name>
        <message>
            <location filename="../views/batch_page.py" line="1" />
            <source>Batch</source>
            <translation>批量处理</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="104" />
            <source>Drop a folder of images here, or choose one. Every image is asked the preset's question; the answers fill the table and a result file.</source>
            <translation>将图片文件夹拖放到这里，或选择一个文件夹。每张图片都会被问到预设的问题；回答会填入表格和结果文件。</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="106" />
            <source>Folder</source>
            <translation>文件夹</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="107" />
            <source>Choose folder…</source>
            <translation>选择文件夹…</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="108" />
            <source>Choose a folder of images</source>
            <translation>选择图片文件夹</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="109" />
            <source>&amp;Task</source>
            <translation>任务(&amp;T)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="110" />
            <source>&amp;Model</source>
            <translation>模型(&amp;M)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="114" />
            <source>&amp;Run</source>
            <translation>运行(&amp;R)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="114" />
            <source>&amp;Pause</source>
            <translation>暂停(&amp;P)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="115" />
            <source>R&amp;esume</source>
            <translation>继续(&amp;E)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="115" />
            <source>&amp;Cancel</source>
            <translation>取消(&amp;C)</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="116" />
            <source>Export &amp;CSV…</source>
            <translation>导出 CSV(&amp;C)…</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="117" />
            <source>Export &amp;JSON Lines…</source>
            <translation>导出 JSON Lines(&amp;J)…</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="119" />
            <source>Image</source>
            <translation>图片</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="119" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="119" />
            <source>Answer</source>
            <translation>回答</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="120" />
            <source>Seconds</source>
            <translation>秒</translation>
        </message>
        <message>
            <location filename="../views/batch_page.py" line="121" />
            <source>Results</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Images at &amp;once</source>
            <translation>同时处理图片数(&amp;O)</translation>
        </message>
        <message>
            <source>Auto</source>
            <translation>自动</translation>
        </message>
        <message>
            <source>Auto: as many as free memory allows (up to 8)</source>
            <translation>自动：按可用内存尽量多（最多 8 张）</translation>
        </message>
        <message>
            <source>The batch uses the model loaded in the window, so its weights take no extra memory; a question you ask in the window meanwhile waits for the images being answered. To answer several images at once the model is loaded again with room for each, and with room for one when the job is over.</source>
            <translation>批量处理使用窗口中已加载的模型，因此模型权重不占用额外内存；在此期间您在窗口中的提问会等待正在回答的图片完成。为同时回答多张图片，模型会重新加载并为每张图片预留空间，任务结束后再恢复为一张。</translation>
        </message>
    </context>
    <context>
        <name>BatchController</name>
        <message>
            <location filename="../controllers/batch.py" line="124" />
            <source>Choose a folder of images</source>
            <translation>选择图片文件夹</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="320" />
            <source>Export as CSV</source>
            <translation>导出为 CSV</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="320" />
            <source>Export as JSON Lines</source>
            <translation>导出为 JSON Lines</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="119" />
            <source>No model is loaded: load one in the window first</source>
            <translation>尚未加载模型：请先在窗口中加载</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="119" />
            <source>No model is loaded: load one in the window first.</source>
            <translation>尚未加载模型：请先在窗口中加载。</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="57" />
            <source>done</source>
            <translation>完成</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="244" />
            <source>error</source>
            <translation>错误</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="244" />
            <source>done before</source>
            <translation>之前已完成</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="245" />
            <source>duplicate</source>
            <translation>重复</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="147" />
            <source>waiting</source>
            <translation>等待中</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="153" />
            <source>There are no images in %1.</source>
            <translation>%1 中没有图片。</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="334" />
            <source>Exported %1 rows to %2</source>
            <translation>已导出 %1 行到 %2</translation>
        </message>
        <message>
            <location filename="../controllers/batch.py" line="279" />
            <source>%1 of %2 images: %3 answered, %4 failed, %5 answered before</source>
            <translation>%2 张图片中的 %1 张：%3 张已回答，%4 张失败，%5 张之前已回答</translation>
        </message>
        <message>
            <source>Loading %1 again to answer several images at once…</source>
            <translation>正在重新加载 %1，以便同时回答多张图片…</translation>
        </message>
        <message>
            <source>%1 at once</source>
            <translation>同时 %1 张</translation>
        </message>
        <message>
            <source>The model changed while it loaded for the batch: run it again.</source>
            <translation>模型在为批量处理加载时被更换了：请重新运行。</translation>
        </message>
        <message>
            <source>Run the batch first: there are no results to export.</source>
            <translation>请先运行批量任务：还没有可导出的结果。</translation>
        </message>
    </context>
    <context>
        <name>ImagePreviewController</name>
        <message>
            <source>What the model sees</source>
            <translation>模型看到的内容</translation>
        </message>
        <message>
            <source>Load a model to see how it reads these images.</source>
            <translation>加载模型后即可查看它如何读取这些图片。</translation>
        </message>
        <message>
            <source>Measuring…</source>
            <translation>正在测算…</translation>
        </message>
        <message>
            <source>%1 tokens</source>
            <translation>%1 个词元</translation>
        </message>
        <message>
            <source>overview %1 + %2 tiles</source>
            <translation>概览 %1 + %2 个图块</translation>
        </message>
        <message>
            <source>read as %1</source>
            <translation>按 %1 读取</translation>
        </message>
        <message>
            <source>With this message the conversation takes %1 of %2 tokens (%3).</source>
            <translation>加上这条消息，对话将占用 %2 个词元中的 %1 个（%3）。</translation>
        </message>
    </context>
    <context>
        <name>ModelPlacement</name>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>GPU (%1)</source>
            <translation>GPU（%1）</translation>
        </message>
        <message>
            <source>GPU (%1), %2/%3 layers</source>
            <translation>GPU（%1），%2/%3 层</translation>
        </message>
        <message>
            <source>Where the model runs</source>
            <translation>模型运行的位置</translation>
        </message>
        <message>
            <source>The whole model runs on the GPU (%1).</source>
            <translation>整个模型都在 GPU（%1）上运行。</translation>
        </message>
        <message>
            <source>All %1 layers run on the GPU (%2); only the output head stays on the CPU.</source>
            <translation>全部 %1 层都在 GPU（%2）上运行，只有输出层留在 CPU 上。</translation>
        </message>
        <message>
            <source>%1 of %2 layers run on the GPU (%3), the rest on the CPU, which is slower: the GPU had %4 free.</source>
            <translation>%2 层中有 %1 层在 GPU（%3）上运行，其余在 CPU 上运行，速度较慢：GPU 只有 %4 可用。</translation>
        </message>
        <message>
            <source>The model runs on the CPU, which is slower: the GPU had only %1 free.</source>
            <translation>模型在 CPU 上运行，速度较慢：GPU 只有 %1 可用。</translation>
        </message>
        <message>
            <source>The GPU split %1 asks GPU %2 for %3 MiB but it has room for %4 MiB, so only %5 of %6 layers run on the GPUs. With the split “auto” (Settings), %7 would.</source>
            <translation>GPU 分配 %1 要求 GPU %2 提供 %3 MiB，但它只有 %4 MiB 空间，因此 %6 层中只有 %5 层在 GPU 上运行。在设置中把分配改为“auto”，可以放下 %7 层。</translation>
        </message>
        <message>
            <source>%1 of %2 layers run on the GPU (%3), as set under GPU layers in Settings.</source>
            <translation>按照设置中的“GPU 层数”，%2 层中有 %1 层在 GPU（%3）上运行。</translation>
        </message>
        <message>
            <source>The model runs on the CPU, as set under GPU layers in Settings.</source>
            <translation>按照设置中的“GPU 层数”，模型在 CPU 上运行。</translation>
        </message>
        <message>
            <source>The model runs on the CPU: no GPU was found.</source>
            <translation>模型在 CPU 上运行：没有找到 GPU。</translation>
        </message>
        <message>
            <source>The model runs on the CPU: this build of VisionDesk has no GPU support.</source>
            <translation>模型在 CPU 上运行：此版本的 VisionDesk 不支持 GPU。</translation>
        </message>
        <message>
            <source>The GPU ran out of memory while loading, so %1 of %2 layers run on it and the rest on the CPU, which is slower.</source>
            <translation>加载时 GPU 内存不足，因此 %2 层中只有 %1 层在 GPU 上运行，其余在 CPU 上运行，速度较慢。</translation>
        </message>
        <message>
            <source>To run faster: close other programs that use the GPU, or choose a smaller quantization or a shorter context (Settings).</source>
            <translation>想要更快：关闭其他占用 GPU 的程序，或在设置中选择更小的量化版本或更短的上下文。</translation>
        </message>
        <message>
            <source>A model too big for this computer's GPU runs fast on a server with a bigger one: add it under Model → Servers…</source>
            <translation>对这台电脑的 GPU 来说太大的模型，可以在配备更大 GPU 的服务器上快速运行：在“模型 → 服务器…”中添加。</translation>
        </message>
        <message>
            <source>%1 runs partly or wholly on the CPU because GPU memory was short, so answers are slower. Point at the badge “%2” for the details.</source>
            <translation>由于 GPU 内存不足，%1 部分或全部在 CPU 上运行，回答会较慢。将鼠标指向标记“%2”可查看详情。</translation>
        </message>
    </context>
    <context>
        <name>ForeignJobs</name>
        <message>
            <source>The answer ended without a result.</source>
            <translation>回答没有得出结果就结束了。</translation>
        </message>
        <message>
            <source>The model changed while the batch was running; run it again to go on with the model now loaded.</source>
            <translation>批量任务运行期间模型已更换；请再次运行，用现在加载的模型继续。</translation>
        </message>
    </context>
    <context>
        <name>FirstRun</name>
        <message>
            <source>Attached, waiting for a model: %1</source>
            <translation>已附加，等待模型：%1</translation>
        </message>
    </context>
</TS>
